// Pure-Python wheels made by the tests: these machines reach no Python
// index, so pip installs only from a --find-links directory.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"

namespace strata::test {

// A pure-Python wheel: NAME/__init__.py with __version__, and the
// dist-info pip needs (METADATA, WHEEL, RECORD with hashes).
inline constexpr const char* kMakeWheel = R"(
import base64, hashlib, sys, zipfile
out, name, version = sys.argv[1:4]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"__version__ = '{version}'\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: strata-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{info}/RECORD,,")
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
    z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
)";

// Writes DIR/NAME-VERSION-py3-none-any.whl; fails the test when it cannot.
inline void make_wheel(const std::string& dir, const std::string& name, const std::string& version) {
  const Finished f = run({"/usr/bin/env", "python3", "-c", kMakeWheel, dir, name, version});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
}

}  // namespace strata::test
