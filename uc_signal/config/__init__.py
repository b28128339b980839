"""ucd's configuration: TOML, every key documented (docs/configuration.md) with a default."""

from .loader import EMBEDDED, ConfigError, config_from_dict, load_config
from .schema import (AuthSection, ConferencingSection, Config, DaemonSection, HttpSection, LogSection, RegistrarSection,
                     SipSection, StoreSection)

__all__ = [
    "AuthSection", "ConferencingSection", "Config", "ConfigError", "DaemonSection", "EMBEDDED", "HttpSection", "LogSection",
    "RegistrarSection", "SipSection", "StoreSection", "config_from_dict", "load_config",
]
