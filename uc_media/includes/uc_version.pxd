cdef extern from "uc_version.h" nogil:
    const char *uc_version_opus()
    const char *uc_version_srtp()
    const char *uc_version_spandsp()
