// Open MPI (Debian: libopenmpi-dev, openmpi-bin) for HessianMPI. MPI's predefined handles are
// macros over addresses of library globals, which Swift cannot import; these functions return
// them.
#include <mpi.h>

static inline MPI_Comm hessian_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype hessian_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Errhandler hessian_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
