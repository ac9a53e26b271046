#include "bare_pcap.h"

#include <mapped_file.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int64_t bare_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t loop(pcap_t *p, uint64_t *packets, uint64_t *bytes) {
    struct pcap_pkthdr *header;
    const u_char *data;
    uint64_t count = 0, sum = 0;
    int status;
    int64_t start = bare_monotonic_ns();
    while ((status = pcap_next_ex(p, &header, &data)) == 1) {
        count++;
        sum += header->caplen;
    }
    int64_t elapsed = bare_monotonic_ns() - start;
    if (status != PCAP_ERROR_BREAK) {
        fprintf(stderr, "bare_pcap_loop: %s\n", pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    pcap_close(p);
    *packets = count;
    *bytes = sum;
    return elapsed;
}

int64_t bare_pcap_loop(const char *path, uint64_t *packets, uint64_t *bytes) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "bare_pcap_loop: %s\n", errbuf);
        return -1;
    }
    return loop(p, packets, bytes);
}

int64_t bare_pcap_loop_mapped(const char *path, uint64_t *packets, uint64_t *bytes) {
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE *stream = skbsim_mapped_fopen(path, NULL);
    if (stream == NULL) {
        perror("bare_pcap_loop_mapped");
        return -1;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "bare_pcap_loop_mapped: %s\n", errbuf);
        fclose(stream);
        return -1;
    }
    return loop(p, packets, bytes);
}

const char *bare_pcap_version(void) { return pcap_lib_version(); }

void bare_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
