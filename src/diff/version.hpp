// Version strings compared the way people read them: split at separators
// (. - _ + : ~) and at digit/letter boundaries, numbers compared as numbers
// ("2.10" > "2.9"), letters as text, and a number beats letters ("1.2.3" >
// "1.2.rc1"); so "GLIBC_2.34" vs "GLIBC_2.31" and "1.2.13" vs "1.2.3" come
// out right.
#pragma once

#include <string_view>

namespace strata::diff {

// <0, 0 or >0 like strcmp.
[[nodiscard]] int compare_versions(std::string_view a, std::string_view b);

}  // namespace strata::diff
