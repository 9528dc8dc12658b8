#ifndef STRATUM_CLIBPNG_SHIM_H
#define STRATUM_CLIBPNG_SHIM_H
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/// PNG_IMAGE_PNG_SIZE_MAX, the most bytes the simplified writer can produce for `image`.
static inline size_t stratum_png_image_png_size_max(const png_image *image) {
    return PNG_IMAGE_PNG_SIZE_MAX(*image);
}

/// Where `stratum_png_encode_rgb` collects the file, and the message of a libpng error.
typedef struct {
    unsigned char *bytes;
    size_t count;
    size_t capacity;
    char message[192];
} stratum_png_output;

static void stratum_png_output_append(png_structp png, png_bytep data, size_t length) {
    stratum_png_output *output = (stratum_png_output *)png_get_io_ptr(png);
    if (length > ((size_t)-1) / 2 - output->count) png_error(png, "PNG larger than memory");
    if (output->count + length > output->capacity) {
        size_t capacity = output->capacity ? output->capacity : 65536;
        while (capacity < output->count + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(output->bytes, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        output->bytes = grown;
        output->capacity = capacity;
    }
    memcpy(output->bytes + output->count, data, length);
    output->count += length;
}

static void stratum_png_output_flush(png_structp png) { (void)png; }

static void stratum_png_failed(png_structp png, png_const_charp message) {
    stratum_png_output *output = (stratum_png_output *)png_get_error_ptr(png);
    strncpy(output->message, message ? message : "libpng error", sizeof output->message - 1);
    output->message[sizeof output->message - 1] = 0;
    png_longjmp(png, 1);
}

static void stratum_png_warned(png_structp png, png_const_charp message) { (void)png; (void)message; }

/// Encodes `height` rows of 8-bit RGB (`stride` bytes apart) as a PNG with zlib level `level`
/// (0…9) and row filter `filter` (a PNG_FILTER_* mask). The simplified write API offers neither
/// knob, and compresses twice when asked for the size first. libpng reports errors by longjmp,
/// which must not cross Swift frames, so the whole write lives here in C. Returns 1 and fills
/// `output->bytes`/`count` (free with `free`), or 0 with `output->message` set.
static inline int stratum_png_encode_rgb(const unsigned char *pixels, png_uint_32 width, png_uint_32 height,
                                         size_t stride, int level, int filter, stratum_png_output *output) {
    output->bytes = NULL;
    output->count = 0;
    output->capacity = 0;
    output->message[0] = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, output, stratum_png_failed, stratum_png_warned);
    if (png == NULL) {
        strcpy(output->message, "cannot create a libpng writer");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        strcpy(output->message, "cannot create a libpng writer");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(output->bytes);
        output->bytes = NULL;
        output->count = 0;
        return 0;
    }
    png_set_write_fn(png, output, stratum_png_output_append, stratum_png_output_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filter);
    png_write_info(png, info);
    for (png_uint_32 row = 0; row < height; row++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)row * stride));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 1;
}

/// Reads PNG bytes from memory, for the readers below.
typedef struct {
    const unsigned char *bytes;
    size_t count;
    size_t offset;
} stratum_png_input;

static void stratum_png_input_read(png_structp png, png_bytep data, size_t length) {
    stratum_png_input *input = (stratum_png_input *)png_get_io_ptr(png);
    if (length > input->count - input->offset) png_error(png, "the PNG data ends early");
    memcpy(data, input->bytes + input->offset, length);
    input->offset += length;
}

/// What `stratum_png_decode` found in a PNG's IHDR (and tRNS) when asked for the header alone.
typedef struct {
    png_uint_32 width;
    png_uint_32 height;
    /// An alpha channel, or a tRNS chunk (which becomes one when expanded).
    int has_alpha;
} stratum_png_header;

/// Creates a reader of `input` whose errors land in `output->message`; NULL when libpng cannot
/// make one (the message says so).
static inline png_structp stratum_png_reader(stratum_png_input *input, stratum_png_output *output, png_infop *info) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, output, stratum_png_failed, stratum_png_warned);
    if (png == NULL) {
        strcpy(output->message, "cannot create a libpng reader");
        return NULL;
    }
    *info = png_create_info_struct(png);
    if (*info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        strcpy(output->message, "cannot create a libpng reader");
        return NULL;
    }
    png_set_read_fn(png, input, stratum_png_input_read);
    return png;
}

/// Reads a PNG's header (signature, IHDR and the chunks before IDAT) into `header` when
/// `pixels` is NULL, without any pixel memory. Otherwise decodes the PNG, of the size `header`
/// holds (as the first call gave it), into `pixels`: 8-bit RGB (`channels` 3: alpha and tRNS
/// dropped) or RGBA (4: opaque where the file has no alpha), rows packed. Palettes and grey (any
/// depth) are expanded; 16-bit samples become their high byte (Q >> 8), as Pillow's
/// convert("RGB") and tf.io.decode_png give them; colour-space chunks are not applied (none of
/// libpng's gamma transforms is asked for). Interlaced files are read whole through
/// `png_read_image`, which runs the passes: libpng 1.6.39's simplified API, which this replaced,
/// decoded interlaced 16-bit files wrong (every other row). `rows` is scratch for `height` row
/// pointers. Returns 1, or 0 with `output->message` set.
static inline int stratum_png_decode(const unsigned char *bytes, size_t count, stratum_png_header *header, unsigned char *pixels,
                                     png_bytep *rows, int channels, stratum_png_output *output) {
    output->message[0] = 0;
    stratum_png_input input = { bytes, count, 0 };
    png_infop info = NULL;
    png_structp png = stratum_png_reader(&input, output, &info);
    if (png == NULL) return 0;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if (pixels == NULL) {
        header->width = width;
        header->height = height;
        header->has_alpha = (png_get_color_type(png, info) & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    if (width != header->width || height != header->height) png_error(png, "the header changed between reads");
    png_byte type = png_get_color_type(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    int alpha = (type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (channels == 3 && alpha) png_set_strip_alpha(png);
    if (channels == 4 && !alpha) png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * (size_t)channels) png_error(png, "unexpected row layout after expansion");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * (size_t)channels;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
}

/// Lays a PNG over `height` rows of 8-bit RGB `canvas` (`width` × `height`, rows packed), one
/// decoded row at a time: a whole page decoded first as RGBA held 4 bytes a pixel (6.7 MB for a
/// 1916×892 gallery) beside the canvas. Each pixel of alpha a > 0 becomes
/// (colour·a + canvas·(255 − a) + 127) / 255 per channel, as `RGBImage.composite` computes.
/// Samples are taken as stored (colour-space chunks are not applied: the caller removes them, as
/// `PNGCodec.decodeRGBA` does); palettes and grey are expanded, 16-bit samples become their high
/// byte, opaque where there is no alpha. Returns 1; 0 with `output->message` set for a
/// libpng error; -1 when the PNG is not `width` × `height`; -2 when it is interlaced (the caller
/// decodes it whole instead). The canvas may be partly drawn over after a libpng error.
static inline int stratum_png_composite_over_rgb(const unsigned char *bytes, size_t count, unsigned char *canvas,
                                                 png_uint_32 width, png_uint_32 height, stratum_png_output *output) {
    output->message[0] = 0;
    stratum_png_input input = { bytes, count, 0 };
    png_infop info = NULL;
    png_structp png = stratum_png_reader(&input, output, &info);
    if (png == NULL) return 0;
    unsigned char *volatile row = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(row);
        return 0;
    }
    png_read_info(png, info);
    if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) {
        png_destroy_read_struct(&png, &info, NULL);
        return -2;
    }
    png_byte type = png_get_color_type(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS)) png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) png_error(png, "unexpected row layout after expansion to RGBA");
    row = (unsigned char *)malloc((size_t)width * 4);
    if (row == NULL) png_error(png, "out of memory for one row");
    for (png_uint_32 y = 0; y < height; y++) {
        png_read_row(png, row, NULL);
        unsigned char *target = canvas + (size_t)y * width * 3;
        for (png_uint_32 x = 0; x < width; x++) {
            unsigned int alpha = row[x * 4 + 3];
            if (alpha == 0) continue;
            for (int c = 0; c < 3; c++) {
                unsigned int over = (unsigned int)row[x * 4 + c] * alpha + (unsigned int)target[x * 3 + c] * (255 - alpha);
                target[x * 3 + c] = (unsigned char)((over + 127) / 255);
            }
        }
    }
    free(row);
    row = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
}

#endif
