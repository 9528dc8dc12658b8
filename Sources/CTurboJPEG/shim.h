#ifndef STRATUM_CTURBOJPEG_SHIM_H
#define STRATUM_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
