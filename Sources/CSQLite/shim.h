#ifndef SKBSIM_CSQLITE_SHIM_H
#define SKBSIM_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
