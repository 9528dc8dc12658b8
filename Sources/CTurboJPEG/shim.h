#ifndef STRATUM_CTURBOJPEG_SHIM_H
#define STRATUM_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <turbojpeg.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg-turbo's libjpeg API, for the files its TurboJPEG API (2.1) refuses in
// tjDecompressHeader3 because their sampling factors match none of its subsampling types
// (4:1:0, 1×4, 3×1, chroma components sampled unlike each other…), which libjpeg decodes,
// and for every file TurboJPEG warned about (TurboJPEG keeps only the last warning's text:
// here each one is seen).
// libjpeg reports errors by longjmp, which must not cross Swift frames: both calls live here.

/// What a failed call says, and the first warning of a decode.
typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    /// Warnings, and the first one's text. Stray bytes before a marker ("N extraneous bytes
    /// before marker 0x…") are let through, as Pillow and TensorFlow let them: webcams and
    /// scanners write them before restart markers and scans of intact images. Corrupt scan
    /// data that libjpeg reports only that way is let through with them (it cannot be told
    /// apart: a flipped bit decoded a restart interval of a 4:2:0 file wrong, up to 255 levels).
    int warnings;
    char warning[JMSG_LENGTH_MAX];
} stratum_jpeg_error;

static void stratum_jpeg_exit(j_common_ptr info) {
    stratum_jpeg_error *error = (stratum_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

static void stratum_jpeg_message(j_common_ptr info, int level) {
    stratum_jpeg_error *error = (stratum_jpeg_error *)info->err;
    if (level >= 0) return;  // trace messages
    if (info->err->msg_code == JWRN_EXTRANEOUS_DATA) return;
    // Any other warning fails the file: stop now rather than decode the rest (a corrupt
    // progressive file could take every scan it holds).
    if (error->warnings++ == 0) (*info->err->format_message)(info, error->warning);
    memcpy(error->message, error->warning, sizeof error->message);
    longjmp(error->jump, 1);
}

static void stratum_jpeg_start(struct jpeg_decompress_struct *info, stratum_jpeg_error *error) {
    info->err = jpeg_std_error(&error->manager);
    error->manager.error_exit = stratum_jpeg_exit;
    error->manager.emit_message = stratum_jpeg_message;
    error->message[0] = 0;
    error->warnings = 0;
    error->warning[0] = 0;
}

/// Reads the header of `bytes` and, when `pixels` is not NULL, decodes the image into it with
/// TurboJPEG's defaults (the accurate integer IDCT, fancy upsampling): `*width` × `*height` ×
/// 3 (RGB) or × 4 (CMYK, for CMYK and YCCK files, as TurboJPEG decodes them), as a header-only
/// call said; any other size is an error. Without `pixels`, sets the three from the header.
/// Returns 1, or 0 with `error->message` set.
static int stratum_jpeg_read(const unsigned char *bytes, size_t count, unsigned char *pixels, unsigned int *width,
                             unsigned int *height, int *cmyk, stratum_jpeg_error *error) {
    struct jpeg_decompress_struct info;
    stratum_jpeg_start(&info, error);
    if (setjmp(error->jump)) {
        jpeg_destroy_decompress(&info);
        return 0;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, bytes, (unsigned long)count);
    jpeg_read_header(&info, TRUE);
    int fileCMYK = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    if (pixels == NULL) {
        *width = info.image_width;
        *height = info.image_height;
        *cmyk = fileCMYK;
        jpeg_destroy_decompress(&info);
        return 1;
    }
    info.out_color_space = *cmyk ? JCS_CMYK : JCS_RGB;
    info.dct_method = JDCT_ISLOW;
    info.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&info);
    unsigned int channels = *cmyk ? 4 : 3;
    if (info.output_width != *width || info.output_height != *height || (unsigned int)info.output_components != channels) {
        snprintf(error->message, sizeof error->message, "decodes to %u×%u×%d, not the %u×%u×%u its header gave",
                 info.output_width, info.output_height, info.output_components, *width, *height, channels);
        jpeg_destroy_decompress(&info);
        return 0;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * *width * channels;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return 1;
}

/// The size of the image in `bytes`, and whether libjpeg decodes it to CMYK.
static inline int stratum_jpeg_header(const unsigned char *bytes, size_t count, unsigned int *width, unsigned int *height,
                                      int *cmyk, stratum_jpeg_error *error) {
    return stratum_jpeg_read(bytes, count, NULL, width, height, cmyk, error);
}

/// Decodes `bytes` into `pixels` (see `stratum_jpeg_read`). Returns 1 (check `error->warnings`),
/// or 0 with `error->message` set.
static inline int stratum_jpeg_decode(const unsigned char *bytes, size_t count, unsigned char *pixels, unsigned int width,
                                      unsigned int height, int cmyk, stratum_jpeg_error *error) {
    return stratum_jpeg_read(bytes, count, pixels, &width, &height, &cmyk, error);
}
#endif
