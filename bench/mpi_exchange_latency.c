/* Latency of the spike exchange pattern planned for the MPI engine (docs/scaling.md): per exchange, an
 * MPI_Allgather of one count per rank, then an MPI_Allgatherv of the 32-bit spike ids. Each rank contributes
 * SPIKES ids per exchange; the program times REPS exchanges one by one (after WARMUP) and prints, on rank 0,
 * the median, p99 and max of the per-exchange wall time of the slowest rank (an MPI_Allreduce(MAX) of each sample
 * after the timed loop, so the reduction is not timed).
 *
 * Build and run (Open MPI, not part of the CMake build: MPI is optional for the project):
 *   mpicc -O2 -o /tmp/mpi_exchange_latency bench/mpi_exchange_latency.c
 *   mpirun -n 2 /tmp/mpi_exchange_latency [SPIKES] [REPS]
 * On one machine the ranks talk through shared memory: this measures the MPI software cost of the two
 * collectives (the alpha of "ranks on the same machine"), not a network link.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long spikes = argc > 1 ? strtol(argv[1], NULL, 10) : 15;
  const long reps = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
  if (spikes < 0 || spikes > 1000000 || reps < 100 || reps > 10000000) {
    if (rank == 0) fprintf(stderr, "usage: mpi_exchange_latency [SPIKES 0..1e6] [REPS 100..1e7]\n");
    MPI_Finalize();
    return 2;
  }
  const long warmup = reps / 10;
  uint32_t* mine = malloc(sizeof(uint32_t) * (size_t)(spikes > 0 ? spikes : 1));
  uint32_t* all = malloc(sizeof(uint32_t) * (size_t)(spikes > 0 ? spikes : 1) * (size_t)size);
  int* counts = malloc(sizeof(int) * (size_t)size);
  int* displs = malloc(sizeof(int) * (size_t)size);
  double* t = malloc(sizeof(double) * (size_t)reps);
  double* tmax = malloc(sizeof(double) * (size_t)reps);
  if (!mine || !all || !counts || !displs || !t || !tmax) MPI_Abort(MPI_COMM_WORLD, 1);
  for (long i = 0; i < spikes; ++i) mine[i] = (uint32_t)(rank * spikes + i);

  for (long r = -warmup; r < reps; ++r) {
    const int n = (int)spikes;
    MPI_Barrier(MPI_COMM_WORLD);  // every sample starts together, as after a step's compute
    const double t0 = MPI_Wtime();
    MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    int total = 0;
    for (int p = 0; p < size; ++p) {
      displs[p] = total;
      total += counts[p];
    }
    MPI_Allgatherv(mine, n, MPI_UINT32_T, all, counts, displs, MPI_UINT32_T, MPI_COMM_WORLD);
    const double dt = MPI_Wtime() - t0;
    if (r >= 0) t[r] = dt;
  }
  MPI_Reduce(t, tmax, (int)reps, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    qsort(tmax, (size_t)reps, sizeof(double), cmp_double);
    printf("ranks %d, %ld spikes per rank per exchange, %ld exchanges: median %.2f us, p99 %.2f us, max %.1f us\n",
           size, spikes, reps, 1e6 * tmax[reps / 2], 1e6 * tmax[reps * 99 / 100], 1e6 * tmax[reps - 1]);
  }
  free(mine); free(all); free(counts); free(displs); free(t); free(tmax);
  MPI_Finalize();
  return 0;
}
