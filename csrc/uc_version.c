#include "uc_version.h"

#include <opus.h>
#include <srtp2/srtp.h>
#include <spandsp/version.h>

const char *uc_version_opus(void) { return opus_get_version_string(); }

const char *uc_version_srtp(void) { return srtp_get_version_string(); }

const char *uc_version_spandsp(void) { return SPANDSP_RELEASE_DATETIME_STRING; }
