#ifndef SKBSIM_BARE_PCAP_H
#define SKBSIM_BARE_PCAP_H

#include <stdint.h>

/// Reads every record of the capture at `path` with pcap_next_ex and sums
/// their captured lengths: the floor any libpcap-based reader pays.
///
/// The file is opened with nanosecond timestamp precision, as CaptureReader
/// opens it (so neither side converts timestamps for a nanosecond file).
/// Returns the nanoseconds (CLOCK_MONOTONIC) from the first pcap_next_ex to
/// the end of the file, excluding open and close; -1 on error (the message
/// goes to stderr).
int64_t bare_pcap_loop(const char *path, uint64_t *packets, uint64_t *bytes);

/// The same loop over the stream skbsim's CaptureReader reads regular files
/// through (`skbsim_mapped_fopen`: 4 MiB mmap windows, no read(2) per stdio
/// refill), to show how much of the reader's speed is that stream.
int64_t bare_pcap_loop_mapped(const char *path, uint64_t *packets, uint64_t *bytes);

/// pcap_lib_version().
const char *bare_pcap_version(void);

/// Makes stdout line-buffered (progress lines appear when piped).
void bare_line_buffer_stdout(void);

/// CLOCK_MONOTONIC in nanoseconds.
int64_t bare_monotonic_ns(void);

#endif
