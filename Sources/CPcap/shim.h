#ifndef SKBSIM_CPCAP_SHIM_H
#define SKBSIM_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
