"""uc_signal: the ucserver signaling and policy layer (SIP core, services, daemon, shell)."""

__version__ = "0.1.0"
