"""ucd's configuration: TOML, every key documented (docs/configuration.md) with a default."""

from .loader import EMBEDDED, ConfigError, config_from_dict, load_config
from .schema import (AuthSection, ConferencingSection, Config, DaemonSection, HttpSection, ImSection, LogSection,
                     RegistrarSection, SipSection, StoreSection)
from .schema import PresenceSection

__all__ = [
    "AuthSection", "ConferencingSection", "Config", "ConfigError", "DaemonSection", "EMBEDDED", "HttpSection", "ImSection",
    "LogSection", "RegistrarSection", "SipSection", "StoreSection", "config_from_dict", "load_config",
    "PresenceSection",
]
