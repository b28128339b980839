/* Versions of the libraries the C core links, for the engine's capability report. */
#ifndef UC_VERSION_H
#define UC_VERSION_H

const char *uc_version_opus(void);
const char *uc_version_srtp(void);
const char *uc_version_spandsp(void);

#endif
