# Every dependency comes from a Debian 12 package (design.md section 4). Nothing is downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(OpenSSL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_package(ICU REQUIRED COMPONENTS uc i18n)

# libphonenumber and cctz ship neither a CMake config nor a pkg-config file.
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
find_library(GEOCODING_LIBRARY geocoding REQUIRED)
add_library(smsgw::phonenumber INTERFACE IMPORTED)
target_include_directories(smsgw::phonenumber INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(smsgw::phonenumber INTERFACE ${GEOCODING_LIBRARY} ${PHONENUMBER_LIBRARY} ICU::i18n ICU::uc)
# The fast number path (policy/number_metadata.cpp): RE2, and libprotobuf to read libphonenumber's
# compiled-in metadata (the same libprotobuf.so libphonenumber links).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)

find_path(CCTZ_INCLUDE_DIR cctz/time_zone.h REQUIRED)
find_library(CCTZ_LIBRARY cctz REQUIRED)
add_library(smsgw::cctz INTERFACE IMPORTED)
target_include_directories(smsgw::cctz INTERFACE ${CCTZ_INCLUDE_DIR})
target_link_libraries(smsgw::cctz INTERFACE ${CCTZ_LIBRARY})

# The gateway's allocator: jemalloc (Debian's libjemalloc-dev) when present and the build has
# no sanitizer (ASan/libFuzzer bring their own). glibc malloc took about a fifth of smsgw's CPU
# at saturation (malloc_consolidate, arena locks between the I/O threads); docs/performance.md,
# "Allocator". -DSMSGW_ALLOCATOR=system keeps glibc's.
set(SMSGW_ALLOCATOR "jemalloc" CACHE STRING "allocator linked into smsgw: jemalloc or system")
set(SMSGW_ALLOCATOR_LIBRARY "")
if(SMSGW_ALLOCATOR STREQUAL "jemalloc" AND NOT CMAKE_CXX_FLAGS MATCHES "sanitize")
  find_library(JEMALLOC_LIBRARY jemalloc)
  if(JEMALLOC_LIBRARY)
    set(SMSGW_ALLOCATOR_LIBRARY ${JEMALLOC_LIBRARY})
  else()
    message(WARNING "libjemalloc not found: smsgw uses glibc malloc (install libjemalloc-dev)")
  endif()
endif()

# Python with Debian's phonenumbers package: its tzdata is the source of the generated
# number -> time zone table (the C++ library has no time-zone mapper).
find_program(SMSGW_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)

if(SMSGW_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SMSGW_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
