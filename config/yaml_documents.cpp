#include "config/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <vector>

namespace config::detail {
namespace {

// Records where the content of each document starts (its first node), nothing else.
class document_starts final : public YAML::EventHandler {
 public:
  std::vector<std::optional<YAML::Mark>> starts;

  void OnDocumentStart(const YAML::Mark&) override { starts.emplace_back(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& m) {
    if (!starts.empty() && !starts.back()) starts.back() = m;
  }
};

bool same_place(const std::optional<YAML::Mark>& a, const std::optional<YAML::Mark>& b) {
  return a && b && a->pos == b->pos;
}

}  // namespace

yaml_documents read_yaml_documents(const std::string& text) {
  document_starts starts;
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    for (int n = 0; n < 3 && parser.HandleNextDocument(starts); ++n) {
    }
  }
  yaml_documents out;
  if (starts.starts.empty()) return out;
  // A document that starts where the one before it started: the parser read nothing.
  for (std::size_t i = 1; i < starts.starts.size(); ++i) {
    if (same_place(starts.starts[i - 1], starts.starts[i])) {
      out.stuck = *starts.starts[i];
      return out;
    }
  }
  if (starts.starts.size() > 1) out.second = starts.starts[1].value_or(YAML::Mark());
  out.first = YAML::Load(text);
  return out;
}

}  // namespace config::detail
