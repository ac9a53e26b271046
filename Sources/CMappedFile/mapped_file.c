#define _GNU_SOURCE
#include "mapped_file.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// 4 MiB windows at 4 MiB-aligned file offsets. A read that crosses a window
// end is served in pieces; the previous window is unmapped when the next is
// mapped, so at most one window (plus its fault-around) is resident.
#define WINDOW_SHIFT 22
#define WINDOW_SIZE ((off_t)1 << WINDOW_SHIFT)

typedef struct {
    int fd;
    off_t size;      // file size at open; reads stop there
    off_t position;  // stream position
    off_t base;      // file offset of the mapped window, -1 if none
    size_t length;   // bytes mapped
    const unsigned char *window;
} mapped_file;

static int map_window(mapped_file *f, off_t offset) {
    off_t base = offset & ~(WINDOW_SIZE - 1);
    if (f->window) {
        munmap((void *)f->window, f->length);
        f->window = NULL;
        f->base = -1;
    }
    // A file that shrank since open: touching a mapped page past its new end
    // raises SIGBUS, so map only what is there now (read then ends early and
    // libpcap reports a truncated record, as it would with read(2)). A
    // truncation while a window is mapped can still fault: such a file is
    // being rewritten under the reader.
    struct stat st;
    if (fstat(f->fd, &st) == 0 && st.st_size < f->size) f->size = st.st_size;
    if (offset >= f->size) return -1;
    off_t left = f->size - base;
    size_t length = (size_t)(left < WINDOW_SIZE ? left : WINDOW_SIZE);
    void *p = mmap(NULL, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, f->fd, base);
    if (p == MAP_FAILED) return -1;
    madvise(p, length, MADV_SEQUENTIAL);
    f->window = p;
    f->base = base;
    f->length = length;
    return 0;
}

static ssize_t mapped_read(void *cookie, char *buf, size_t size) {
    mapped_file *f = cookie;
    size_t done = 0;
    while (done < size && f->position < f->size) {
        if (f->window == NULL || f->position < f->base || f->position >= f->base + (off_t)f->length) {
            if (map_window(f, f->position) != 0) {
                if (f->position >= f->size) break;  // the file shrank: end of file
                // Fall back to pread for this piece (mapping failed: address
                // space exhausted).
                ssize_t n = pread(f->fd, buf + done, size - done, f->position);
                if (n <= 0) return done > 0 ? (ssize_t)done : n;
                f->position += n;
                done += (size_t)n;
                continue;
            }
        }
        size_t offset = (size_t)(f->position - f->base);
        size_t n = f->length - offset;
        if (n > size - done) n = size - done;
        memcpy(buf + done, f->window + offset, n);
        f->position += (off_t)n;
        done += n;
    }
    return (ssize_t)done;
}

static int mapped_seek(void *cookie, off64_t *offset, int whence) {
    mapped_file *f = cookie;
    off_t target;
    switch (whence) {
    case SEEK_SET: target = *offset; break;
    case SEEK_CUR: target = f->position + *offset; break;
    case SEEK_END: target = f->size + *offset; break;
    default: errno = EINVAL; return -1;
    }
    if (target < 0) { errno = EINVAL; return -1; }
    f->position = target;
    *offset = target;
    return 0;
}

static int mapped_close(void *cookie) {
    mapped_file *f = cookie;
    if (f->window) munmap((void *)f->window, f->length);
    int rc = close(f->fd);
    free(f);
    return rc;
}

FILE *skbsim_mapped_fopen(const char *path, int *fd_out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); errno = e; return NULL; }
    // Not a regular file, or one that claims to be empty (procfs and the
    // like report size 0 and still have bytes): leave it to read(2).
    if (!S_ISREG(st.st_mode) || st.st_size == 0) { close(fd); errno = ENOTSUP; return NULL; }
    mapped_file *f = calloc(1, sizeof *f);
    if (!f) { close(fd); errno = ENOMEM; return NULL; }
    f->fd = fd;
    f->size = st.st_size;
    f->base = -1;
    cookie_io_functions_t io = { .read = mapped_read, .write = NULL, .seek = mapped_seek, .close = mapped_close };
    FILE *stream = fopencookie(f, "rb", io);
    if (!stream) { int e = errno; close(fd); free(f); errno = e; return NULL; }
    // Buffered: glibc reads an unbuffered cookie stream one byte per call
    // (_IO_default_xsgetn + __underflow), so give it a 64 KiB buffer that
    // mapped_read fills with one memcpy from the window.
    setvbuf(stream, NULL, _IOFBF, 64 * 1024);
    if (fd_out) *fd_out = fd;
    return stream;
}
