#include "policy/store_factory.hpp"

#include <boost/asio/post.hpp>

#include "policy/redis_store.hpp"
#include "policy/sqlite_store.hpp"

namespace policy {

open_store_result open_store(const store_settings& settings, boost::asio::any_io_executor ex,
                             std::shared_ptr<const number_secrets> secrets) {
  open_store_result r;
  if (settings.kind == "sqlite") {
    sqlite_options o;
    o.path = settings.path;
    o.secrets = std::move(secrets);
    o.post = [ex](std::function<void()> fn) { boost::asio::post(ex, std::move(fn)); };
    auto s = sqlite_store::open(std::move(o));
    r.store = std::move(s.store);
    r.ec = s.ec;
    r.error = std::move(s.error);
    return r;
  }
  if (settings.kind == "redis") {
    redis_options o;
    o.url = settings.url;
    o.password = settings.password;
    o.key_prefix = settings.key_prefix;
    o.secrets = std::move(secrets);
    auto s = redis_store::create(std::move(ex), std::move(o));
    r.store = std::move(s.store);
    r.ec = s.ec;
    r.error = std::move(s.error);
    return r;
  }
  r.ec = store_errc::invalid_argument;
  r.error = "store.kind must be \"sqlite\" or \"redis\", not \"" + settings.kind + "\"";
  return r;
}

}  // namespace policy
