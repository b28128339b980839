"""IM policies and settings: what a user's named IM policy allows, and the server-wide
limits. Lync assigns each user an IM/presence policy by name; here a user carries
`{"im": "<name>"}` (uc_signal.directory.User.policies) and the configuration defines each
name under `[policies.im.<name>]`. A user without one gets the policy named "Global"
(Lync's name for the policy that applies when none is assigned), or the built-in
defaults when the configuration defines no "Global".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..directory import User

if TYPE_CHECKING:
    from ..config.schema import ImPolicySection, ImSection

DEFAULT_POLICY = "Global"
POLICY_KIND = "im"


@dataclass(frozen=True)
class ImPolicy:
    """One named IM policy (docs/configuration.md, [policies.im.<name>])."""

    name: str = DEFAULT_POLICY
    enabled: bool = True          # may send and receive instant messages at all
    offline: bool = True          # messages to this user may be stored while they are offline
    archive: bool = True          # messages this user sends or receives go to the history
    max_size: int = 0             # largest body in bytes this user sends or receives; 0: im.max_size


@dataclass(frozen=True)
class FilterRules:
    """The "intelligent IM filter" (Lync's IM URL filter and file-transfer filter):
    globs matched case-blind against each URL in a text message, and file extensions
    that may not be named."""

    block_urls: tuple[str, ...] = ()
    warn_urls: tuple[str, ...] = ()
    warn_prefix: str = "[Warning: this message contains a link to a site flagged by your administrator] "
    blocked_extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImSettings:
    """Server-wide IM settings (the [im] table)."""

    max_size: int = 8192                  # bytes of body (RFC 3428 section 7: keep pages small)
    factory_user: str = "chat"            # sip:chat@<domain> creates conversations
    delivery_timeout: float = 10.0        # seconds before an unanswered MESSAGE is stored offline
    offline_retry_interval: float = 30.0  # seconds between delivery attempts of a stored message
    offline_max_attempts: int = 5         # attempts per registration before waiting for the next one
    retention_days: float = 0.0           # history kept this long; 0: forever
    purge_interval: float = 3600.0        # seconds between retention purges
    filter: FilterRules = field(default_factory=FilterRules)
    policies: tuple[ImPolicy, ...] = ()

    def policy_named(self, name: str) -> ImPolicy | None:
        return self._by_name.get(name)

    def policy_for(self, user: User) -> ImPolicy | None:
        """The user's IM policy; None when the user names one the configuration lacks."""
        name = user.policy(POLICY_KIND)
        if name is None:
            return self._default_policy
        return self._by_name.get(name)

    # Looked up twice per MESSAGE (sender and recipient): a dict, and the default made once
    # (policies are frozen). cached_property writes the instance dict, frozen or not.
    @functools.cached_property
    def _by_name(self) -> dict[str, ImPolicy]:
        return {policy.name: policy for policy in reversed(self.policies)}   # the first of a name wins

    @functools.cached_property
    def _default_policy(self) -> ImPolicy:
        return self._by_name.get(DEFAULT_POLICY) or ImPolicy()

    def size_limit(self, *policies: ImPolicy | None) -> int:
        """The tightest of the server limit and each party's policy limit."""
        limits = [self.max_size] + [p.max_size for p in policies if p is not None and p.max_size > 0]
        return min(limits)


def settings_from_config(section: ImSection, policies: Mapping[str, ImPolicySection]) -> ImSettings:
    """ImSettings from the configuration's [im] table and its [policies.im.<name>] tables."""
    rules = FilterRules(block_urls=section.filter_block_urls, warn_urls=section.filter_warn_urls,
                        warn_prefix=section.filter_warn_prefix, blocked_extensions=section.blocked_extensions)
    return ImSettings(max_size=section.max_size, factory_user=section.factory_user,
                      delivery_timeout=section.delivery_timeout,
                      offline_retry_interval=section.offline_retry_interval,
                      offline_max_attempts=section.offline_max_attempts, retention_days=section.retention_days,
                      purge_interval=section.purge_interval, filter=rules,
                      policies=tuple(ImPolicy(name, policy.enabled, policy.offline, policy.archive, policy.max_size)
                                     for name, policy in policies.items()))
