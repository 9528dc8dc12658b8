#ifndef STRATUM_CLIBPNG_SHIM_H
#define STRATUM_CLIBPNG_SHIM_H
#include <png.h>

/// PNG_IMAGE_SIZE is a macro; Swift cannot import it.
static inline size_t stratum_png_image_size(const png_image *image) {
    return PNG_IMAGE_SIZE(*image);
}
#endif
