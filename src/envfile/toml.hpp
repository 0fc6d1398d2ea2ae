// toml++ as strata builds it, for src/envfile only. Debian ships toml++ as a
// shared library and its headers; strata is linked static, so the library is
// compiled from the headers into libstrata (toml_impl.cpp) instead. Every
// file that includes toml++ must see the same configuration, hence this one
// header: no exceptions (errors come back as values, like strata's Result),
// and no formatters (strata only reads TOML).
#pragma once

// toml++ 3.3's table-header parser asserts that the key after '[' starts
// with a key character, before checking it and reporting "expected bare key
// starting character" ("[=]" fails the assert; the fuzzer found it). The
// check that follows is right, so the assert is turned off (with NDEBUG it
// is off already; g++ has no __builtin_assume for it to become).
#define TOML_ASSERT(expr) static_assert(true)
#define TOML_HEADER_ONLY 0
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0

#include <toml++/toml.h>
