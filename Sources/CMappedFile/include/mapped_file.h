#ifndef SKBSIM_MAPPED_FILE_H
#define SKBSIM_MAPPED_FILE_H
#include <stdio.h>

/// Opens the regular file at `path` as a read-only stdio stream that reads
/// through a sliding mmap window instead of read(2): no syscall and no
/// kernel-to-user copy per stdio refill: each refill of the stream's 64 KiB
/// buffer is one memcpy from the mapped page cache. ftello/fseeko work. One
/// 4 MiB window is mapped at a time, so resident memory stays bounded
/// whatever the file size.
///
/// Returns NULL with errno set if the file cannot be opened; with errno =
/// ENOTSUP if it is not a regular file (a pipe, a device) or has size 0,
/// which callers read with fopen instead. `*fd_out` receives the descriptor (owned by the
/// stream, closed by fclose) for pread.
FILE *skbsim_mapped_fopen(const char *path, int *fd_out);

#endif
