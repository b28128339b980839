"""The registrar (REGISTER rules, RFC 3261 10.3; Path, outbound, GRUU) and the location
service that holds bindings (usrloc-like, storage behind `uc_signal.directory`)."""

from .errors import REPLIES, RegistrarError
from .location import BindingCallback, BindingChange, LocationService, aor_key, contact_key
from .registrar import SUPPORTED, GruuIndex, Registrar, RegistrarConfig, instance_id

__all__ = [
    "REPLIES", "RegistrarError", "BindingCallback", "BindingChange", "LocationService", "aor_key",
    "contact_key", "SUPPORTED", "GruuIndex", "Registrar", "RegistrarConfig", "instance_id",
]
