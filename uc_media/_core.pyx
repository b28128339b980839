# cython: language_level=3
"""uc_media._core: the compiled media engine. Import names from `uc_media`, not from here.

One extension module; each concern lives in its own .pxi included below, with its C
declarations in includes/<header>.pxd.
"""

from uc_media.includes cimport uc_errors

include "_errors.pxi"
include "_versions.pxi"
include "_codecs.pxi"
include "_mixer.pxi"
include "_srtp.pxi"
include "_rtp.pxi"
include "_rtcp.pxi"
include "_rtp_stats.pxi"
include "_jitter.pxi"
include "_playback.pxi"
include "_engine.pxi"
include "_stun.pxi"
include "_ice.pxi"
