#pragma once
// The process group of a run launched by `mpirun` (Open MPI; docs/scaling.md): MPI_COMM_WORLD
// behind the ProcessGroup interface (core/process_group.hpp). Built when CMake finds MPI
// (SGDNOISE_WITH_MPI); a build without it refuses to run under an mpirun of more than one rank
// rather than letting every rank compute and write the same output.
#include <memory>

#include "core/process_group.hpp"

namespace sgdnoise {

/// True when this process was started by an MPI launcher (Open MPI's or a PMI one).
bool launched_by_mpi();

/// The world group when launched by MPI (MPI_Init_thread, funneled: only the main thread
/// communicates; MPI_Finalize when the group is destroyed), else null. Throws InputError when
/// launched with more than one rank by a build without MPI.
std::unique_ptr<ProcessGroup> start_process_group(int* argc, char*** argv);

}  // namespace sgdnoise
