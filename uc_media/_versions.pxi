# The libraries the core is linked against, for logs and `ucd --version`.
# (included by _core.pyx)

from uc_media.includes cimport uc_version


def library_versions():
    """Versions of libopus, libsrtp2 and spandsp as this build links them."""
    return {
        "opus": uc_version.uc_version_opus().decode(),
        "srtp": uc_version.uc_version_srtp().decode(),
        "spandsp": uc_version.uc_version_spandsp().decode(),
    }
