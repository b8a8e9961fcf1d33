# Every dependency comes from a Debian package; nothing is vendored or downloaded.
# They are linked as SYSTEM so that their warnings do not fail our -Werror build.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)                 # libeigen3-dev
find_package(Boost 1.74 REQUIRED)                           # libboost-dev (Odeint, Math)
find_package(Spectra REQUIRED PATHS /usr/share/spectra/cmake) # libspectra-dev
find_package(tomlplusplus REQUIRED)                         # libtomlplusplus-dev
find_package(nlohmann_json 3.10 REQUIRED)                   # nlohmann-json3-dev
find_package(CLI11 REQUIRED)                                # libcli11-dev
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED) # librandom123-dev, header-only

add_library(sgdnoise_deps INTERFACE)
target_link_libraries(sgdnoise_deps INTERFACE
  Eigen3::Eigen Boost::headers Spectra::Spectra tomlplusplus::tomlplusplus
  nlohmann_json::nlohmann_json CLI11::CLI11 OpenMP::OpenMP_CXX)
target_include_directories(sgdnoise_deps SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
# Eigen must never start its own threads: sgdnoise splits the ensemble itself, and
# every reduction runs in a fixed order (docs/conventions.md, determinism).
target_compile_definitions(sgdnoise_deps INTERFACE EIGEN_DONT_PARALLELIZE)
# Mark the imported targets' include directories as system headers.
foreach(_t Eigen3::Eigen Spectra::Spectra tomlplusplus::tomlplusplus nlohmann_json::nlohmann_json CLI11::CLI11)
  get_target_property(_inc ${_t} INTERFACE_INCLUDE_DIRECTORIES)
  if(_inc)
    set_target_properties(${_t} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_inc}")
  endif()
endforeach()
