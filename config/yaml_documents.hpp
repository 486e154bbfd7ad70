// The documents of a YAML text, read without yaml-cpp's LoadAll.
//
// On some malformed texts (one that starts with ',', for example) yaml-cpp 0.7's parser reports a
// new document at every call without reading anything further, and LoadAll collects them until
// the process runs out of memory (jbeder/yaml-cpp issue 1040; found by our config fuzzer). A
// configuration is one document, so this reads at most three and says where the parser stopped
// making progress.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace config::detail {

struct yaml_documents {
  std::optional<YAML::Node> first;   // empty: the text holds no document (blank, comments only)
  std::optional<YAML::Mark> second;  // where the second document's content starts
  std::optional<YAML::Mark> stuck;   // where the parser could not go on (first is then empty)
};

// Throws what yaml-cpp throws for a syntax error (YAML::ParserException, YAML::DeepRecursion).
yaml_documents read_yaml_documents(const std::string& text);

}  // namespace config::detail
