// toml++ as strata builds it, for src/envfile only. Debian ships toml++ as a
// shared library and its headers; strata is linked static, so the library is
// compiled from the headers into libstrata (toml_impl.cpp) instead. Every
// file that includes toml++ must see the same configuration, hence this one
// header: no exceptions (errors come back as values, like strata's Result),
// and no formatters (strata only reads TOML).
#pragma once

#define TOML_HEADER_ONLY 0
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0

#include <toml++/toml.h>
