#include "tools/simulate_command.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <time.h>
#include <unistd.h>

#include "engine/cpu/denormals.hpp"
#include "engine/engine.hpp"
#include "engine/network/network.hpp"
#include "engine/network/steps_network.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/config_meanfield.hpp"
#include "tools/default_config.hpp"
#include "io/aln_cache/cascade_cache.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/config/config_aln.hpp"
#include "io/config/machine_memory.hpp"
#include "io/config/network_memory.hpp"
#include "io/protocol/build_info.hpp"
#include "io/recording/array_descriptions.hpp"
#include "io/recording/npy.hpp"
#include "io/recording/output_dir.hpp"
#include "io/runtime/worker_placement.hpp"
#include "tools/build_json.hpp"
#include "io/mpi/node_share.hpp"
#include "tools/mpi_launch.hpp"
#include "tools/stop_request.hpp"
#include "tools/option_override.hpp"
#include "tools/number_checks.hpp"
#include "tools/process_cpu.hpp"
#include "tools/progress.hpp"
#include "tools/setup_notice.hpp"
#include "tools/sweep_grid.hpp"
#include "tools/sweep_index.hpp"
#ifdef CORTEXLOOP_HAVE_MPI
#include "io/mpi/mpi_exchange.hpp"
#endif

namespace cortexloop::tools {
namespace {
// Every file a run may write into its --out folder (which ones depends on the config): checked before the run.
constexpr std::array<std::string_view, 14> kOutputs = {
    "summary.json", "config.toml", "rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy", "lfp.npy", "spikes.npy",
    "aln_rates.npy", "aln_mean_v.npy", "aln_mean_w.npy", "ring_rates_exc.npy", "ring_rates_inh.npy", "vsdi.npy"};

struct simulate_options {
  std::string config = default_config("default.toml");
  std::string out_dir;
  std::optional<std::string> duration_s, seed, threads;  // as typed (tools/option_override.hpp)
  std::vector<std::string> overrides;
  std::vector<std::string> record;
  std::vector<std::string> sweep;  // KEY=v1,v2,... (tools/sweep_grid.hpp)
  bool quiet = false;
  bool split_over_ranks = true;    // false: one sweep point, run by this process alone
  // A sweep's point: "point i of n" for the messages, and what the sweep records (run_sweep's sweep.json) when a
  // signal ends the process during the point's set-up. Empty outside a sweep.
  std::string sweep_point;
  std::function<void()> on_setup_stop;
};

// Per-tick traces kept in memory (a few floats per simulated ms) and written at the end.
struct traces {
  std::vector<float> rates, mean_v, mean_w, stim, lfp;
  void reserve(std::size_t ticks) {
    for (auto* v : {&rates, &mean_v, &mean_w, &stim}) v->reserve(2 * ticks);
    lfp.reserve(ticks);
  }
  void add(const engine::tick_readout& r) {
    auto pair = [](std::vector<float>& v, double a, double b) {
      v.push_back(static_cast<float>(a));
      v.push_back(static_cast<float>(b));
    };
    pair(rates, r.exc.rate_Hz, r.inh.rate_Hz);
    pair(mean_v, r.exc.mean_v_mV, r.inh.mean_v_mV);
    pair(mean_w, r.exc.mean_w_pA, r.inh.mean_w_pA);
    pair(stim, r.exc.i_stim_pA, r.inh.i_stim_pA);
    lfp.push_back(static_cast<float>(r.lfp_proxy_nA));
    ring_exc.insert(ring_exc.end(), r.ring_rates_exc_Hz.begin(), r.ring_rates_exc_Hz.end());
    ring_inh.insert(ring_inh.end(), r.ring_rates_inh_Hz.begin(), r.ring_rates_inh_Hz.end());
    vsdi.insert(vsdi.end(), r.vsdi_percent.begin(), r.vsdi_percent.end());
  }
  std::vector<float> ring_exc, ring_inh, vsdi;  // [ticks][ring units], when the config has a ring
};

// The ALN node's per-tick traces, in the layout of the network's files ([ticks, 2]: E and I; V and I_A of E only).
struct aln_traces {
  std::vector<float> rates, mean_v, mean_w;
  void reserve(std::size_t ticks) {
    for (auto* v : {&rates, &mean_v, &mean_w}) v->reserve(2 * ticks);
  }
  void add(const engine::aln_readout& a) {
    auto pair = [](std::vector<float>& v, double x, double y) {
      v.push_back(static_cast<float>(x));
      v.push_back(static_cast<float>(y));
    };
    pair(rates, a.rate_e_Hz, a.rate_i_Hz);
    pair(mean_v, a.v_mean_e_mV, 0.0);  // the table's V_mean is used for E only (adaptation); I has none here
    pair(mean_w, a.i_a_pA, 0.0);
    diverged += a.diverged;
    out_of_table += a.out_of_table;
  }
  std::int64_t diverged = 0, out_of_table = 0;
};

// The ticks a run of the config asks for (simulation.duration_s in ticks of simulation.tick_ms).
std::int64_t run_ticks(const engine::engine_params& p) {
  return std::llround(p.simulation.duration_s * 1000.0 / p.simulation.tick_ms);
}

// simulate keeps a row of traces per tick in memory until it writes them: a --duration of 1e6 s (in range) died in
// std::bad_alloc after 0.02 s, and 100,000 ring units for 1000 s grew to 3.3 GB before it did (an outside check,
// 2026-12-05). Refused at once when the rows, with the network's least memory beside them (its synapse rows and spike
// log, as the config's check counts them), would not fit (io::beyond_memory): counted alone, traces of 1.08 GB
// beside a 100k-cell network's 0.5 GB of rows passed under a 1.5 GB `ulimit -v` and ended in std::bad_alloc after
// 14 s of set-up (an outside audit, 2026-12-07). `given`: how the run's duration was given (duration_given_as).
void check_traces_fit(const engine::engine_params& p, const std::string& given) {
  const std::int64_t n_ticks = run_ticks(p);
  const double units = p.ring ? static_cast<double>(p.ring->n_units) : 0.0;
  const double per_tick = 9 * sizeof(float) + 3 * units * sizeof(float) + (p.aln ? 6 * sizeof(float) : 0);
  const double need = per_tick * static_cast<double>(n_ticks);
  const bool network = engine::steps_network(p);
  const double rows = network ? io::synapse_rows_bytes(p.network) : 0.0;
  const double log_bytes = network ? io::spike_log_bytes(p.network, p.simulation) : 0.0;
  const io::network_memory_share share = io::network_memory_share_now();  // rank 0 keeps the traces
  if (const std::string beyond = io::beyond_memory(need + share.process(rows, log_bytes),
                                                   need + share.machine(rows, log_bytes));
      !beyond.empty()) {
    char text[500];
    std::snprintf(text, sizeof text, ": simulate keeps its traces in memory until it writes them, %.3g GB for these "
                  "%lld ticks, with the network's %.3g GB (synapses and spike log) %s; shorten the run (or serve it "
                  "and `record` it)", need / 1e9, static_cast<long long>(n_ticks), (rows + log_bytes) / 1e9,
                  beyond.c_str());
    throw io::config_error(given + text);
  }
}

// Peak resident memory of this process so far: VmHWM of /proc/self/status (KiB), which starts again at exec.
// getrusage's ru_maxrss does not: a child keeps its parent's peak from the fork, so a 1000-cell run started by a
// Python process that had touched 200 MB said 210 MB (10 MB from a shell: an outside audit, 2026-12-07).
double peak_rss_MB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return NAN;  // no procfs: written as null
}

// The unit steps a ring of n_units units, stepping every ring_dt_ms, takes in n_ticks ticks of tick_ms: the whole of
// which a ring's counts (ALN table, Zerlaut outside the fitted domain) are a part.
long long ring_unit_steps(std::int64_t n_ticks, double tick_ms, double ring_dt_ms, std::size_t n_units) {
  return static_cast<long long>(n_ticks * std::llround(tick_ms / ring_dt_ms)) * static_cast<long long>(n_units);
}

double mean_column(const std::vector<float>& pairs, std::size_t column, std::size_t from_tick) {
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t t = from_tick; 2 * t + column < pairs.size(); ++t, ++n) sum += pairs[2 * t + column];
  return n ? sum / static_cast<double>(n) : 0.0;
}

// The overrides as "key=value" (a labelled one, io::labelled_override, without its label): summary.json's record of
// what the run changed, as --set would give it.
std::vector<std::string> as_set(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (const std::string& o : overrides) out.push_back(o.substr(o.find(io::kOptionMark) + 1));  // npos + 1 = 0
  return out;
}

// Sums a per-process count over every process (exactly: integers below 2^53), or returns it alone.
double sum_over_ranks(engine::process_exchange* across, double local) {
  if (!across) return local;
  std::vector<double> all(across->n_ranks());
  across->all_gather({&local, 1}, all);
  double total = 0;
  for (const double x : all) total += x;
  return total;
}

engine::engine_params checked_run_params(const simulate_options& o, int launched, std::string* config_toml = nullptr);
int simulate_ranks(const simulate_options& o, engine::engine_params params, int launched,
                   const std::string& config_toml);

int run_simulate(const simulate_options& o) {
  // Under `mpirun -n K` (K > 1) the K processes step one network together (docs/engine.md, "Across processes").
  const int launched = o.split_over_ranks ? launched_ranks() : 1;
  // The config, the options and --out checked before MPI starts (run_on_ranks). --out is checked, not cleared: the
  // earlier run's files in it are removed only once the set-up is done (simulate_ranks), as a run stopped during its
  // set-up (a large network takes seconds) simulated nothing, and cleared a folder it did not refill (an outside
  // audit); checked now, an --out that cannot take the outputs fails in the first second.
  // One run per folder while it runs (a recorder or another simulate on the same --out removed this run's files and
  // wrote among them): held by the process that writes the files (rank 0 under mpirun).
  std::optional<io::output_dir_lock> out_lock;
  std::string config_toml;  // the resolved config the run is built from, written as OUT/config.toml
  auto prepare = [&] {
    engine::engine_params params = checked_run_params(o, launched, &config_toml);
    // Checked by the process that writes into it alone: under mpirun every rank said an --out it could not write.
    if (writes_outputs(launched)) io::check_output_dir(o.out_dir, kOutputs);
    lock_output_dir(out_lock, o.out_dir, launched);
    return params;
  };
  return run_on_ranks(launched, "run the whole network and write the same files", prepare,
                      [&](engine::engine_params params) {
                        return simulate_ranks(o, std::move(params), launched, config_toml);
                      });
}

// The overrides of a run: --set's, then the options' (--duration, --seed, --threads) as labelled overrides.
std::vector<std::string> run_overrides(const simulate_options& o) {
  std::vector<std::string> overrides = o.overrides;
  if (o.duration_s) overrides.push_back(option_override("--duration", *o.duration_s, "simulation.duration_s"));
  if (o.seed) overrides.push_back(option_override("--seed", *o.seed, "simulation.seed"));
  // Through the config, so that the loader validates it (and names --threads as typed when it refuses it).
  if (o.threads) overrides.push_back(option_override("--threads", *o.threads, "simulation.threads"));
  return overrides;
}

// A run's config with its options (--set, --duration, --seed, --threads) applied, validated as the run needs it: what
// simulate_ranks runs, and what a sweep checks for every point before any starts. With config_toml, the run is built
// from the resolved text it is given (as serve builds from what it publishes): what OUT/config.toml holds is what ran
// (written from the file at the end, it took an edit made during the run: a review).
engine::engine_params load_run_params(const simulate_options& o, std::string* config_toml = nullptr) {
  const std::vector<std::string> overrides = run_overrides(o);
  check_keys_given_once(overrides);
  engine::engine_params params = io::load_config(o.config, overrides);
  // simulate runs no device (nothing programs it without commands), but a [device] section is validated here as
  // serve validates it: a typo in a config must not pass here and fail only when the config is served.
  io::load_device_config(o.config, overrides, params);
  if (config_toml) {
    *config_toml = io::resolved_config_text(o.config, overrides);
    params = io::parse_config(*config_toml, o.config + " (resolved)");
  }
  return params;
}

// load_run_params, and the options that do not go with this config: exit 2, as a wrong command line (they exited 1:
// an outside check).
engine::engine_params checked_run_params(const simulate_options& o, int launched, std::string* config_toml) {
  engine::engine_params params = load_run_params(o, config_toml);
  const bool record_spikes = std::find(o.record.begin(), o.record.end(), "spikes") != o.record.end();
  // A ring with network = "off" wrote an empty spikes.npy; the ALN node alone was refused: both say why now.
  if (record_spikes && !engine::steps_network(params))
    throw command_line_error(std::string("--record spikes: this config steps no spiking network (") +
                             engine::no_network_reason(params) + "): there are no spikes to record");
  if (params.aln) {
    if (launched > 1)  // the node is not split over ranks (docs/engine.md, "Across processes (MPI)")
      throw command_line_error("an [aln] config (the ALN node, alone or beside a network) runs in one process: run it "
                               "without mpirun (--threads splits its network over this machine's cores)");
  }
  // A ring alone has no cells to split: every rank computed the whole ring and wrote nothing new (an outside check).
  if (launched > 1 && !engine::steps_network(params))
    throw command_line_error(std::string("this config steps no spiking network (") + engine::no_network_reason(params) +
                             "): there is nothing to split over mpirun's ranks; run it without mpirun");
  // Here, before MPI starts, not after the set-up: under mpirun every rank refused inside the MPI session, and
  // Open MPI added "ORTE_ERROR_LOG: Data unpack had inadequate space" to the reason (an outside audit, 2026-12-07).
  check_traces_fit(params, duration_given_as(run_overrides(o), params.simulation.duration_s));
  return params;
}

// Where a rank's workers run, said as summary.json's worker_placement (rank 0's). The ranks on one machine that mpirun
// allowed the same CPUs (all of them with --bind-to none, a socket's with --bind-to socket) were left to pin alike:
// each rank's helper went to the same CPU after the first (the pool's default), worker 0 unpinned. Now rank i of
// those takes its workers' CPUs from the (i x threads)-th of the set on, so they share no CPU while the set has one
// for each. With more workers than the set's CPUs (2 ranks x 2 threads on 2 cores) pinning can only stack them, and
// a worker that spins while it waits holds the CPU the one it waits for needs: `mpirun -n 2 ... --threads 2` ran
// 15-50 times slower than one thread per rank (an outside audit, 2026-12-06; bench/README.md "Ranks and threads on
// too few CPUs"). Then nothing is pinned (the scheduler places them) and the waits yield at once; returns whether
// so (the caller warns).
std::string place_among_ranks(engine::engine& eng, int rank, io::node_share share, bool& crowded) {
  const std::vector<int> own = engine::process_cpus();
  const int threads = static_cast<int>(eng.n_workers());
  crowded = own.empty() || share.same_set_ranks * threads > static_cast<int>(own.size());
  std::string placement = "rank " + std::to_string(rank) + ": ";
  if (!crowded) {
    const int cpu = own[static_cast<std::size_t>(share.same_set_index * threads)];
    // Two statements: the operands of + are evaluated in an unspecified order (clang pinned this thread first).
    const std::string helpers = io::place_helpers_with_note(eng, cpu, 0);
    placement += "worker 0 " + io::pin_with_note(pthread_self(), cpu) + "; " + helpers;
  } else {
    eng.workers().unpin();
    eng.workers().set_spin(false);
    placement += "workers not pinned, waiting workers yield at once (" + std::to_string(share.same_set_ranks) +
                 " ranks x " + std::to_string(threads) + " threads on the " + std::to_string(own.size()) +
                 " CPUs they may use)";
  }
  return placement;
}

void warn_crowded_ranks() {
  std::fprintf(stderr, "simulate: warning: more worker threads than CPUs for them on this machine (ranks x "
                       "--threads above the CPUs mpirun lets them use): each barrier waits for a descheduled thread; "
                       "expect this to be slower than --threads 1 (results are the same), and pass mpirun --mca "
                       "mpi_yield_when_idle 1, or a rank waiting in an exchange holds a CPU too\n");
}

// A sweep's points under mpirun run each in its rank alone, without MPI: the ranks on this machine (the launcher's
// OMPI_COMM_WORLD_LOCAL_SIZE, this one's OMPI_COMM_WORLD_LOCAL_RANK) split its CPUs as above, taken to share one set.
// They pinned alike, every rank's worker 0 on CPU 0 and helper on CPU 1, and said nothing (an outside audit,
// 2026-12-07). Rank 0 warns once per sweep if crowded.
std::string sweep_rank_placement(engine::engine& eng) {
  io::node_share share;
  share.same_set_ranks = io::launched_local_ranks();
  share.same_set_index = io::launched_local_rank();
  bool crowded = false;
  std::string placement = place_among_ranks(eng, io::launched_rank(), share, crowded);
  static bool warned = false;
  if (crowded && !warned && io::launched_rank() == 0) warn_crowded_ranks();
  warned = warned || crowded;
  return placement;
}

#ifdef CORTEXLOOP_HAVE_MPI
// Under an MPI run the ranks gather their CPU masks (mpi_exchange::share_of_node), and rank 0 warns if any rank is
// crowded. Collective: every rank calls it.
std::string mpi_placement(engine::engine& eng, const io::mpi_exchange& exchange, bool root) {
  bool crowded = false;
  std::string placement = place_among_ranks(eng, exchange.rank(), exchange.share_of_node(), crowded);
  if (exchange.any_rank(crowded) && root) warn_crowded_ranks();
  return placement;
}
#endif

// One process's part of the run: the whole network alone, or its ranks' share under mpirun (launched > 1).
int simulate_ranks(const simulate_options& o, engine::engine_params params, int launched,
                   const std::string& config_toml) {
  const bool record_spikes = std::find(o.record.begin(), o.record.end(), "spikes") != o.record.end();
  // Without [network] the config is the ALN node alone: its rates go to rates.npy (the network's otherwise).
  const bool aln_alone = engine::aln_node_alone(params);

  engine::process_exchange* across = nullptr;
#ifdef CORTEXLOOP_HAVE_MPI
  std::optional<io::mpi_exchange> exchange;
  if (launched > 1) across = &exchange.emplace(static_cast<std::uint32_t>(params.network.n_neurons));
#endif
  // Rank 0 writes every file; the others stay quiet, and have the network's rates and spikes but not its mean V, w,
  // LFP or diverged count (gathered to rank 0 alone: engine::network::readout_sums).
  const bool root = !across || across->rank() == 0;
  const std::filesystem::path out(o.out_dir);  // checked by run_simulate
  // One process alone ends at once at Ctrl-C or SIGTERM during its set-up, saying so (it died silently: an outside
  // audit); from the first tick on, it stops at the next tick and writes the ticks it has (stop_request, below).
  // Ranks under mpirun keep the default action throughout (the launcher ends them all): each would see the signal at
  // its own tick, and their collectives would no longer meet.
  std::optional<stop_signal_watch> setup_watch;
  sigset_t stop_signals;
  if (!across) {
    stop_signals = block_stop_signals();  // before the set-up starts any thread: they all leave them to the watch
    if (o.sweep_point.empty())
      setup_watch.emplace(stop_signals, "simulate",
                          "during set-up: nothing was simulated; " + out.string() + " left as it was");
    else
      setup_watch.emplace(stop_signals, "simulate",
                          "during the set-up of " + o.sweep_point + ": nothing of it was simulated; "
                          "sweep.json says which points ran",
                          o.on_setup_stop);
  }
  if (params.aln) io::attach_aln_table(params, o.quiet);  // an [aln] node's cascade table: read, or made (set-up)
  // Said even with --quiet, as the other notes on what the rates mean.
  if (root)
    for (const std::string& note : io::meanfield_notes(params)) std::fprintf(stderr, "simulate: note: %s\n", note.c_str());

  engine::flush_denormals_to_zero();
  const auto setup_start = std::chrono::steady_clock::now();
  setup_notice notice("simulate", params.network, o.quiet || !root);
  engine::engine eng(params, across);
  notice.done();
  if (root) io::remove_earlier_outputs(out, kOutputs);
  std::optional<stop_request> stop;
  if (!across) {
    setup_watch.reset();
    stop.emplace();
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);  // one that came meanwhile, pending, stops the first tick
  }
  eng.set_record_spikes(record_spikes);
  // Worker 0 is this thread, placed as serve places its real-time thread (io::worker0_cpu), the helpers on the CPUs
  // after it. Under mpirun, the ranks on one machine share its CPUs (mpi_placement).
  std::string placement;
  const io::affinity_restorer affinity;  // this thread unpinned again when the run ends
  if (eng.n_workers() > 1 && !across && !o.sweep_point.empty() && io::launched_ranks() > 1) {
    placement = sweep_rank_placement(eng);
  } else if (eng.n_workers() > 1 && !across) {
    const int cpu = io::worker0_cpu(eng);
    // Two statements: the operands of + are evaluated in an unspecified order (clang pinned this thread first).
    const std::string helpers = io::place_helpers_with_note(eng, cpu, 0);
    placement = "worker 0 " + io::pin_with_note(pthread_self(), cpu) + "; " + helpers;
  }
#ifdef CORTEXLOOP_HAVE_MPI
  if (eng.n_workers() > 1 && exchange) placement = mpi_placement(eng, *exchange, root);
#endif
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
  // A rank owns whole blocks of 1024 cells (engine::rank_bounds): with more ranks than blocks some own none and
  // only wait at every exchange, which went unsaid (an outside check, 2026-12-05). Results are unaffected.
  if (across && root && !o.quiet) {
    const std::vector<std::uint32_t> bounds =
        engine::rank_bounds(static_cast<std::uint32_t>(params.network.n_neurons), across->n_ranks());
    long idle = 0;
    for (std::size_t r = 0; r + 1 < bounds.size(); ++r) idle += bounds[r] == bounds[r + 1];
    const long busy = static_cast<long>(across->n_ranks()) - idle;
    if (idle > 0)
      std::fprintf(stderr, "simulate: note: %ld of the %u ranks own no cells (a rank takes whole blocks of %u cells; "
                           "%lld cells fill %ld): they only wait at each exchange; mpirun -n %ld does the same work\n",
                   idle, across->n_ranks(), engine::kReadoutBlock, static_cast<long long>(params.network.n_neurons),
                   busy, busy);
  }
  // Likewise a worker thread owns whole groups of 128 cells (engine::partition_bounds): N = 100 on 2 threads gave
  // worker 0 none, unsaid (an outside audit, 2026-12-06). Results are unaffected.
  if (eng.runs_network() && eng.n_workers() > 1 && root && !o.quiet) {
    long idle = 0, busy = 0;
    for (const engine::partition& part : eng.net().partitions()) (part.begin() == part.end() ? idle : busy) += 1;
    if (idle > 0)
      std::fprintf(stderr, "simulate: note: %ld of the %u worker threads %s no cells (a worker takes whole groups of "
                           "%u cells; this process's cells fill %ld): %s at each step's barrier; "
                           "--threads %ld does the same work\n",
                   idle, eng.n_workers(), idle == 1 ? "owns" : "own", engine::kPartitionAlign, busy,
                   idle == 1 ? "it only waits" : "they only wait", busy);
  }

  const double tick_ms = params.simulation.tick_ms;
  std::int64_t n_ticks = run_ticks(params);
  traces tr;
  tr.reserve(static_cast<std::size_t>(n_ticks));
  aln_traces aln_tr;
  if (params.aln) aln_tr.reserve(static_cast<std::size_t>(n_ticks));
  std::unique_ptr<io::npy_row_writer> spikes;
  std::vector<double> spike_rows;
  if (record_spikes && root) spikes = std::make_unique<io::npy_row_writer>(out / "spikes.npy", 2);

  progress_line progress("simulate", o.quiet || !root);
  engine::tick_readout r;
  std::int64_t diverged = 0;
  const std::int64_t requested_ticks = n_ticks;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start_s = process_cpu_s();
  for (std::int64_t k = 0; k < n_ticks; ++k) {
    if (stop && stop_request::signal() != 0) {
      n_ticks = k;
      break;
    }
    eng.tick(r);
    tr.add(r);
    if (params.aln) aln_tr.add(r.aln);
    diverged += r.diverged;
    if (spikes && !r.spike_steps.empty()) {
      spike_rows.clear();
      for (std::size_t i = 0; i < r.spike_steps.size(); ++i) {
        spike_rows.push_back(static_cast<double>(r.spike_steps[i]) * params.simulation.dt_ms);
        spike_rows.push_back(r.spike_neurons[i]);
      }
      spikes->append(spike_rows);
    }
    progress.update(static_cast<double>(k + 1) / static_cast<double>(n_ticks), [&] {
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char text[160];
      std::snprintf(text, sizeof text, "%.2f / %.2f s simulated, %.2fx real time, exc %.2f Hz, inh %.2f Hz",
                    r.t_ms / 1000.0, params.simulation.duration_s, r.t_ms / 1000.0 / wall,
                    aln_alone ? r.aln.rate_e_Hz : r.exc.rate_Hz, aln_alone ? r.aln.rate_i_Hz : r.inh.rate_Hz);
      return std::string(text);
    });
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double loop_cpu_s = process_cpu_s() - cpu_start_s;
  progress.done();
  if (spikes) spikes->close();

  // Every process takes part in these sums; only rank 0 goes on to write.
  const double n_synapses = sum_over_ranks(across, static_cast<double>(eng.net().n_synapses()));
  const double drive_events = sum_over_ranks(across, static_cast<double>(eng.net().drive_events()));
  double busy_local_s = 0;
  for (unsigned w = 0; w < eng.net().workers().size(); ++w)
    busy_local_s += static_cast<double>(eng.net().workers().busy_ns(w)) * 1e-9;
  std::vector<double> rank_busy_s(across ? across->n_ranks() : 1, busy_local_s);
  if (across) across->all_gather({&busy_local_s, 1}, rank_busy_s);
  // The stepping loop's CPU time per rank (an MPI rank waiting in a collective polls, so this includes waits).
  std::vector<double> rank_loop_cpu_s(across ? across->n_ranks() : 1, loop_cpu_s);
  if (across) across->all_gather({&loop_cpu_s, 1}, rank_loop_cpu_s);
  if (!root) return 0;

  const auto ticks = static_cast<std::size_t>(n_ticks);
  std::vector<std::string> files;
  if (aln_alone) {  // the files of the ALN node alone, as before the engine hosted it: its rates in rates.npy
    tr.rates = aln_tr.rates;
    tr.mean_v = aln_tr.mean_v;
    tr.mean_w = aln_tr.mean_w;
    files = {"rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy"};
  } else {
    io::write_npy(out / "lfp.npy", tr.lfp, {ticks});
    files = {"rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy", "lfp.npy"};
  }
  io::write_npy(out / "rates.npy", tr.rates, {ticks, 2});
  io::write_npy(out / "mean_v.npy", tr.mean_v, {ticks, 2});
  io::write_npy(out / "mean_w.npy", tr.mean_w, {ticks, 2});
  io::write_npy(out / "stim.npy", tr.stim, {ticks, 2});
  if (params.aln) {
    io::write_npy(out / "aln_rates.npy", aln_tr.rates, {ticks, 2});
    io::write_npy(out / "aln_mean_v.npy", aln_tr.mean_v, {ticks, 2});
    io::write_npy(out / "aln_mean_w.npy", aln_tr.mean_w, {ticks, 2});
    files.insert(files.end(), {"aln_rates.npy", "aln_mean_v.npy", "aln_mean_w.npy"});
  }
  if (record_spikes) files.push_back("spikes.npy");
  if (eng.ring() || eng.aln_ring()) {
    const auto n_units = static_cast<std::size_t>(eng.params().ring->n_units);
    io::write_npy(out / "ring_rates_exc.npy", tr.ring_exc, {ticks, n_units});
    io::write_npy(out / "ring_rates_inh.npy", tr.ring_inh, {ticks, n_units});
    io::write_npy(out / "vsdi.npy", tr.vsdi, {ticks, n_units});
    files.insert(files.end(), {"ring_rates_exc.npy", "ring_rates_inh.npy", "vsdi.npy"});
  }

  const double simulated_s = static_cast<double>(n_ticks) * tick_ms / 1000.0;
  // Time each worker (of rank 0) spent stepping the network, and how unequal it was (max / mean - 1).
  std::vector<double> worker_busy_s;
  for (unsigned w = 0; w < eng.net().workers().size(); ++w)
    worker_busy_s.push_back(static_cast<double>(eng.net().workers().busy_ns(w)) * 1e-9);
  // How unequal a set of busy times is: max / mean - 1 (0 for none, or none busy).
  const auto imbalance = [](const std::vector<double>& busy) {
    const double mean = std::accumulate(busy.begin(), busy.end(), 0.0) / static_cast<double>(busy.size());
    return mean > 0 ? *std::max_element(busy.begin(), busy.end()) / mean - 1.0 : 0.0;
  };
  const std::size_t half = ticks / 2;
  nlohmann::json summary = {
      {"config", o.config},
      {"overrides", as_set(o.overrides)},
      {"seed", params.simulation.seed},
      {"threads", params.simulation.threads},
      {"ranks", across ? across->n_ranks() : 1u},
      {"rank_busy_s", rank_busy_s},
      // Between ranks, as worker_imbalance between rank 0's workers: under mpirun that alone read 0 with one thread per
      // rank while rank_busy_s differed 2.4-fold (an outside audit, 2026-12-07).
      {"rank_imbalance", imbalance(rank_busy_s)},
      {"rank_loop_cpu_s", rank_loop_cpu_s},
      // Across ranks: the spike exchanges (collective rounds) of the run, and the steps each one carries.
      {"spike_exchanges", eng.net().spike_exchanges()},
      {"exchange_every_steps", eng.net().exchange_steps()},
      {"worker_busy_s", worker_busy_s},
      {"worker_imbalance", imbalance(worker_busy_s)},
      {"worker_placement", placement},
      {"dt_ms", params.simulation.dt_ms},
      {"tick_ms", tick_ms},
      {"ticks", n_ticks},
      {"simulated_s", simulated_s},
      {"interrupted", n_ticks < requested_ticks},
      {"setup_s", setup_s},
      {"wall_s", wall_s},
      {"realtime_factor", wall_s > 0 ? simulated_s / wall_s : 0.0},
      {"peak_rss_MB", peak_rss_MB()},
      {"n_neurons", eng.net().n_neurons()},
      // Which cells and synapses the network's numbers are of (mean_w.npy is the AdEx w or the HH cells' M current).
      {"network_model", engine::network_model_name(params)},
      {"n_exc", eng.net().n_exc()},
      {"n_inh", eng.net().n_inh()},
      {"n_synapses", static_cast<std::uint64_t>(n_synapses)},
      {"drive_events", static_cast<std::uint64_t>(drive_events)},
      {"diverged", diverged},
      {"mean_rate_exc_Hz", mean_column(tr.rates, 0, 0)},
      {"mean_rate_inh_Hz", mean_column(tr.rates, 1, 0)},
      {"second_half_rate_exc_Hz", mean_column(tr.rates, 0, half)},
      {"second_half_rate_inh_Hz", mean_column(tr.rates, 1, half)},
      {"files", files},
      {"arrays", io::arrays_json(files)},  // shape, unit and columns of each array written
  };
  if (const engine::meanfield::ring* ring = eng.ring())
    summary["ring"] = {{"n_units", ring->n_units()},          {"dt_ms", ring->dt_ms()},
                       {"length_mm", static_cast<double>(ring->n_units()) * ring->unit_spacing_mm()},
                       {"network_stepped", eng.runs_network()}, {"rest_rate_exc_Hz", ring->rest_rate_exc_Hz()},
                       {"rest_rate_inh_Hz", ring->rest_rate_inh_Hz()}, {"diverged", ring->diverged()},
                       {"unit_steps_below_e_inh", ring->unit_steps_below_e_inh()},
                       {"unit_steps_above_fit_max", ring->unit_steps_above_fit_max()}};
  if (const engine::aln::aln_ring* ring = eng.aln_ring())
    summary["ring"] = {{"model", "aln"},
                       {"n_units", ring->n_units()},
                       {"dt_ms", ring->dt_ms()},
                       {"length_mm", static_cast<double>(ring->n_units()) * ring->unit_spacing_mm()},
                       {"network_stepped", eng.runs_network()},
                       {"rest_rate_exc_Hz", ring->initial().rate_e_Hz},
                       {"rest_rate_inh_Hz", ring->initial().rate_i_Hz},
                       {"diverged", ring->diverged()},
                       {"out_of_table", ring->out_of_table()}};
  // Where the network sits on the ring (network.position_mm, 0 unless the config says): record's summary gives it
  // (geometry.network_position_mm) and plot.py drew "spiking network at 0 mm" for a recording of a config whose
  // simulate it drew with no position (an outside check, 2026-12-06).
  if (summary.contains("ring") && eng.runs_network()) summary["ring"]["network_position_mm"] = params.network.position_mm;
  if (params.aln) {
    const engine::aln::aln_params& a = params.aln->model;
    summary["aln"] = {{"mu_ext_e_mV_per_ms", a.mu_ext_e_mV_per_ms},
                      {"mu_ext_i_mV_per_ms", a.mu_ext_i_mV_per_ms},
                      {"diverged", aln_tr.diverged},
                      {"out_of_table_steps", aln_tr.out_of_table},
                      {"mean_rate_exc_Hz", mean_column(aln_tr.rates, 0, 0)},
                      {"mean_rate_inh_Hz", mean_column(aln_tr.rates, 1, 0)},
                      {"second_half_rate_exc_Hz", mean_column(aln_tr.rates, 0, half)},
                      {"second_half_rate_inh_Hz", mean_column(aln_tr.rates, 1, half)}};
    // The cascade table the node ran with: its cache file, key and checksum (the file's, as `aln-table` prints it),
    // so a run that differs from another can be traced to its table (an outside audit, 2026-12-07).
    const engine::aln::cascade_table& table = *params.aln->table;
    summary["aln"]["cascade_table"] = {
        {"file", io::cascade_table_file(io::default_aln_cache_dir(), table.neuron, table.numerics, table.grid).string()},
        {"key", engine::aln::cascade_table_key(table.neuron, table.numerics, table.grid)},
        {"fnv1a", io::cascade_table_checksum_hex(table)}};
    // The ALN node alone: its summary at the top level, as before the engine hosted it (model "aln"), and its
    // arrays described as the node's (mean_v.npy's second column, described "exc, inh", is 0: a review).
    if (aln_alone) {
      for (const auto& [key, value] : summary["aln"].items()) summary[key] = value;
      io::describe_aln_node_alone(summary["arrays"]);
    }
    summary["model"] = aln_alone ? "aln" : "network+aln";
  }
  // What the run was made of, whole: the config as it ran (base files merged, every override and option applied, as
  // serve publishes it and record stores it) and the binary's build. summary.json named the config's path and the
  // --set texts only, so a folder could not be re-made once a base file changed (an outside audit, 2026-12-07).
  io::write_text_file(out / "config.toml", config_toml);
  summary["config_toml"] = "config.toml";
  summary["build"] = build_json(io::this_build());
  io::write_text_file(out / "summary.json", summary.dump(2) + "\n");
  // A ring alone builds the network but does not step it: its rates would read 0 Hz, as if the network were silent.
  // Both means: the whole run's includes the drive's ramp and the onset transient (RS +8 % over a 6 s run at
  // 4 Hz drive against its steady second half, an outside check), which a reader comparing with a paper misses.
  char what[160] = "the network was not stepped (ring alone)";
  if (eng.runs_network() || aln_alone)
    std::snprintf(what, sizeof what, "mean rates exc %.2f Hz, inh %.2f Hz (whole run; second half %.2f, %.2f)",
                  summary["mean_rate_exc_Hz"].get<double>(), summary["mean_rate_inh_Hz"].get<double>(),
                  summary["second_half_rate_exc_Hz"].get<double>(), summary["second_half_rate_inh_Hz"].get<double>());
  // Outside its cascade table's grid an ALN model's rates are the grid edge's (clamped), not the model's: said even
  // with --quiet, as the run exits 0 and the rates look like any others (`--set aln.mu_ext_e_mV_per_ms=50` read
  // outside the table in every step, an outside check, 2026-12-05).
  const auto steps_per_tick = std::llround(params.simulation.tick_ms / params.simulation.dt_ms);
  if (params.aln && aln_tr.out_of_table > 0)
    std::fprintf(stderr, "simulate: note: the ALN node's (mu, sigma) lay outside its cascade table's grid in %lld of "
                 "%lld steps, where its rates are the grid edge's, not the model's (summary.json "
                 "aln.out_of_table_steps; docs/aln.md)\n",
                 static_cast<long long>(aln_tr.out_of_table), static_cast<long long>(n_ticks * steps_per_tick));
  if (const engine::aln::aln_ring* ring = eng.aln_ring(); ring && ring->out_of_table() > 0)
    std::fprintf(stderr, "simulate: note: the ALN ring's units lay outside their cascade table's grid in %lld of %lld "
                 "unit steps, where their rates are the grid edge's, not the model's (summary.json "
                 "ring.out_of_table; docs/aln.md)\n",
                 static_cast<long long>(ring->out_of_table()),
                 ring_unit_steps(n_ticks, params.simulation.tick_ms, ring->dt_ms(), ring->n_units()));
  // Likewise a ring of Zerlaut units whose mu_V left the transfer function's fitted domain: below E_inh (a current of
  // -10 nA at a ring site: its FS unit fired 60 Hz there before the rate was held at the edge, silently; an outside
  // audit, 2026-12-05) or above the fit's upper edge (+10 nA: the unheld rate fell to 0 where the network fires
  // near 1/t_ref).
  // Each edge is said apart; mu_V between v_t and that edge (the paper's afferent reaches -44.4 mV) is read from the
  // fit and not counted, nor is the rebound after a long current, which is the AdEx model's own
  // (docs/meanfield.md, "Outside the fitted domain").
  if (const engine::meanfield::ring* ring = eng.ring(); ring && ring->unit_steps_outside_fit() > 0)
    std::fprintf(stderr, "simulate: note: the ring's units had mu_V outside the transfer function's fitted domain in "
                 "%lld of %lld unit steps (%lld below E_inh, %lld above meanfield.exc/inh.max_mu_v_mV = %g / %g mV; "
                 "a step with one population below and the other above counts in both), "
                 "where their rates are the edge's extrapolated, not a fitted value (summary.json "
                 "ring.unit_steps_below_e_inh, ring.unit_steps_above_fit_max; docs/meanfield.md, \"Outside the "
                 "fitted domain\")\n",
                 static_cast<long long>(ring->unit_steps_outside_fit()),
                 ring_unit_steps(n_ticks, params.simulation.tick_ms, ring->dt_ms(), ring->n_units()),
                 static_cast<long long>(ring->unit_steps_below_e_inh()),
                 static_cast<long long>(ring->unit_steps_above_fit_max()), params.meanfield->exc.max_mu_v_mV,
                 params.meanfield->inh.max_mu_v_mV);
  // A state that became non-finite is reset and counted (docs/engine.md), and the run goes on and exits 0: said even
  // with --quiet, with what was reset, since the files then hold a model the config's step could not follow
  // (c_pF = 1e-300 diverged in every step while the summary line read "mean rates exc 0.00 Hz": an outside audit,
  // 2026-12-06).
  auto warn_diverged = [](std::int64_t count, const char* what, const char* key) {
    if (count > 0)
      std::fprintf(stderr, "simulate: warning: %s became non-finite %lld times and was reset each time (summary.json "
                   "%s): the time step is too coarse for this config's dynamics, and the files hold the resets\n",
                   what, static_cast<long long>(count), key);
  };
  warn_diverged(diverged, "a network cell's V or w", "diverged");
  if (const engine::meanfield::ring* ring = eng.ring())
    warn_diverged(ring->diverged(), "a ring unit's state", "ring.diverged");
  if (const engine::aln::aln_ring* ring = eng.aln_ring())
    warn_diverged(ring->diverged(), "an ALN ring unit's state", "ring.diverged");
  if (params.aln) warn_diverged(aln_tr.diverged, "the ALN node's state", aln_alone ? "diverged" : "aln.diverged");
  if (n_ticks < requested_ticks) {
    // Said even with --quiet: the files hold less than was asked for, and the exit code alone would not say why.
    std::fprintf(stderr, "simulate: stopped by %s after %.3f of %.3f s; wrote the %lld ticks simulated to %s; %s\n",
                 stop_request::signal_name(), simulated_s, params.simulation.duration_s,
                 static_cast<long long>(n_ticks), out.c_str(), what);
    return stop_request::exit_code();
  }
  if (!o.quiet)
    std::fprintf(stderr, "simulate: %.2f s in %.2f s wall (%.1fx real time); %s -> %s%s%s\n", simulated_s, wall_s,
                 summary["realtime_factor"].get<double>(), what, out.c_str(), placement.empty() ? "" : "; ",
                 placement.c_str());
  return 0;
}

// "--sweep point i (ring.network=off): ", before a refusal of that point (an outside check: the refusal did not say
// which point).
std::string sweep_point_named(const std::vector<std::string>& values, std::size_t i) {
  std::string point;
  for (const std::string& text : values) point += (point.empty() ? "" : ", ") + text;
  return "--sweep point " + std::to_string(i) + " (" + point + "): ";
}

// A rank > 0 of a sweep waits here until its rank 0 holds OUT and has checked it: until OUT/sweep.json names this
// launch (rank 0 writes it after taking the lock and preparing the folder). Preparing its point folders removes an
// earlier run's files, and a second sweep launched into a folder a running one held had its rank 1 clear the running
// sweep's point_001 before its rank 0 was refused (nothing ordered the ranks: a note carried from 2026-12-07's
// audits). A launcher that names no launch (launch_id() "") is not waited for.
void wait_for_rank_0(const std::filesystem::path& out, const std::string& launch, int rank) {
  if (launch.empty()) return;
  constexpr auto kPatience = std::chrono::minutes(10);  // rank 0 validated the same points: seconds, not minutes
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    std::ifstream f(out / "sweep.json");
    const nlohmann::json index = nlohmann::json::parse(f, nullptr, false);  // whole or not there: renamed in place
    if (!index.is_discarded() && index.is_object() && index.value("launch", std::string()) == launch) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("simulate rank " + std::to_string(rank) + ": rank 0 did not take --out " + out.string() +
                               " within 10 minutes (its sweep.json does not name this launch, " + launch +
                               "); this rank's points were not run");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A parameter sweep: this process runs its share of the grid (points rank, rank + K, ...), each point an ordinary
// one-process run into OUT/point_NNN/. Needs no MPI: the rank and K come from the launcher's environment, so the
// same `mpirun -n K` launches it whether or not the build has MPI. Rank 0 writes OUT/sweep.json, the grid's index.
int run_sweep(const simulate_options& o) {
  // Each rank steps its points alone, a whole network each: the memory checks count one per rank, not 1/K.
  io::ranks_split_one_network() = false;
  std::vector<sweep_axis> axes;
  for (const std::string& text : o.sweep) axes.push_back(parse_sweep_axis(text));
  std::vector<keyed_option> options;
  if (o.duration_s) options.push_back({"simulation.duration_s", "--duration " + *o.duration_s});
  if (o.seed) options.push_back({"simulation.seed", "--seed " + *o.seed});
  if (o.threads) options.push_back({"simulation.threads", "--threads " + *o.threads});
  std::vector<keyed_option> axis_keys;
  for (const sweep_axis& a : axes) axis_keys.push_back({a.key, "--sweep " + a.key});
  check_sweep_keys(axis_keys, o.overrides, options);
  const std::vector<std::vector<std::string>> points = sweep_points(axes);
  const int ranks = launched_ranks(), rank = launched_rank();
  auto point_dir = [](std::size_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "point_%03zu", i);
    return std::string(name);
  };
  // A point's overrides labelled with the option that gave them: a refusal names "--sweep KEY = VALUE", not a --set
  // the user did not type.
  auto point_overrides = [&](std::size_t i) {
    std::vector<std::string> overrides = o.overrides;
    for (const std::string& text : points[i]) {
      const std::size_t eq = text.find('=');
      const std::string key = text.substr(0, eq), value = text.substr(eq + 1);
      overrides.push_back(io::labelled_override("--sweep " + key + " = " + value, key, value));
    }
    return overrides;
  };
  // Every point's config is loaded and validated as its run will load it, before any run starts, on every rank: with
  // --threads too, which a config without a network refuses (a review: it failed only at the first point, after the
  // folders were made).
  for (std::size_t i = 0; i < points.size(); ++i) {
    simulate_options one = o;
    one.overrides = point_overrides(i);
    try {
      checked_run_params(one, 1);  // each point runs as one process
    } catch (const io::config_error& e) {
      throw io::config_error(sweep_point_named(points[i], i) + e.what());
    } catch (const command_line_error& e) {  // an option that does not go with this point's config (--record spikes)
      throw command_line_error(sweep_point_named(points[i], i) + e.what());
    }
  }
  const std::filesystem::path out(o.out_dir);
  const auto step = static_cast<std::size_t>(ranks);
  // The sweep's folder is held by rank 0 (or a run alone) before anything in it is prepared: a second sweep into it
  // is refused before its rank 0 removes anything, and its other ranks wait for their rank 0 (wait_for_rank_0), so
  // mpirun ends them before they prepared anything.
  std::optional<io::output_dir_lock> out_lock;
  if (rank == 0) io::check_output_dir(out, {});
  lock_output_dir(out_lock, out, ranks);
  const std::string launch = ranks > 1 ? launch_id() : std::string();
  if (rank > 0) wait_for_rank_0(out, launch, rank);
  // This rank's point folders before any of its points runs: a bad one fails now, not after the points before it.
  // Each rank prepares only its own: preparing removes an earlier run's files, and a rank that started late once
  // removed the files of a point another rank had already written (nothing orders the ranks' starts).
  for (std::size_t i = static_cast<std::size_t>(rank); i < points.size(); i += step)
    io::prepare_output_dir(out / point_dir(i), kOutputs);
  if (rank == 0) {
    constexpr std::array<std::string_view, 1> index_file = {"sweep.json"};
    io::prepare_output_dir(out, index_file);
    // The points of an earlier, larger sweep into the same folder (point_002..005 beside a sweep.json of 2 points:
    // an outside check, 2026-12-05): their outputs removed as an earlier run's are, and the folder with them when
    // nothing of the user's is left in it. No rank writes an index past this grid's.
    std::vector<std::filesystem::path> stale;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      const std::string name = entry.path().filename().string();
      std::size_t index = 0;
      // Not through a symbolic link: a point_NNN of the user's pointing elsewhere is left alone.
      if (!entry.is_symlink() && entry.is_directory() && name.starts_with("point_") &&
          std::sscanf(name.c_str(), "point_%zu", &index) == 1 && name == point_dir(index) && index >= points.size())
        stale.push_back(entry.path());
    }
    for (const std::filesystem::path& dir : stale) {
      try {
        io::prepare_output_dir(dir, kOutputs);
        std::error_code ec;
        std::filesystem::remove(dir, ec);  // only when empty
      } catch (const std::exception& e) {  // an earlier run's leftovers do not stop this one
        std::fprintf(stderr, "simulate: note: %s left as it is (%s)\n", dir.c_str(), e.what());
      }
    }
  }
  // The sweep's record, sweep.json: written by rank 0 before any point runs, every point "not run", then updated by
  // each rank as its points start ("running") and end: "ran", "interrupted" (its files hold the ticks simulated) or
  // "failed" (its error on stderr), and "interrupted": true once a signal stopped any rank's point. Rank 0 alone
  // wrote it, and the other ranks' points read "unknown" however the sweep ended (an outside audit, 2026-12-07).
  // Each rank records its own outcome as it has it, so the record holds when a rank fails or is stopped and the
  // others go on, with nothing to wait for at the end. Under a launcher that names no launch (launch_id() "") a
  // rank > 0 cannot tell its sweep's sweep.json from an earlier one: it records nothing, and its points read
  // "unknown".
  const bool records = rank == 0 || !launch.empty();
  if (rank == 0) {
    nlohmann::json fresh = {{"config", o.config}, {"overrides", o.overrides}, {"ranks", ranks}, {"interrupted", false},
                            {"points", nlohmann::json::array()}};
    if (!launch.empty()) fresh["launch"] = launch;  // what the other ranks wait for (wait_for_rank_0)
    for (std::size_t i = 0; i < points.size(); ++i)
      fresh["points"].push_back({{"index", i},
                                 {"dir", point_dir(i)},
                                 {"rank", static_cast<int>(i) % ranks},
                                 {"sweep", points[i]},
                                 {"status", !launch.empty() || i % step == 0 ? "not run" : "unknown"}});
    update_sweep_index(out, ranks > 1, [&](nlohmann::json& index) {
      index = fresh;
      return true;
    });
  }
  // This rank's outcome of a point, and whether a signal stopped the sweep.
  auto record = [&](std::size_t point, const char* status, bool interrupted) {
    if (!records) return;
    update_sweep_index(out, ranks > 1, [&](nlohmann::json& index) {
      // Another sweep's by now (this one's rank 0 ended and a new run took the folder): not this rank's to change.
      if (!index.is_object() || index.value("launch", std::string()) != launch) return false;
      index["points"][point]["status"] = status;
      if (interrupted) index["interrupted"] = true;
      return true;
    });
  };
  const std::string who = ranks > 1 ? "simulate rank " + std::to_string(rank) : std::string("simulate");
  std::size_t ran = 0;
  for (std::size_t i = static_cast<std::size_t>(rank); i < points.size(); i += step) {
    simulate_options one = o;
    one.sweep.clear();
    one.split_over_ranks = false;
    one.out_dir = (out / point_dir(i)).string();
    one.overrides = point_overrides(i);
    one.sweep_point = "point " + std::to_string(i) + " of " + std::to_string(points.size());
    // Runs on the set-up's signal watch when a signal ends the process: nothing of this point was simulated, and it
    // reads "not run" again, as the later ones.
    one.on_setup_stop = [&, i] { record(i, "not run", true); };
    if (!o.quiet) {
      std::string values;
      for (const std::string& text : points[i]) values += (values.empty() ? "" : ", ") + text;
      std::fprintf(stderr, "%s: %s (%s) -> %s\n", who.c_str(), one.sweep_point.c_str(), values.c_str(),
                   one.out_dir.c_str());
    }
    // "running" until it ends: a point killed meanwhile (SIGKILL, or mpirun ending the other ranks once one exited
    // non-zero, which may come before they wrote their stopped points' files) reads so, not "not run".
    record(i, "running", false);
    int rc = 0;
    try {
      rc = run_simulate(one);
    } catch (...) {  // the point's error is what main() reports; the record of it is best effort
      try {
        record(i, "failed", false);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: note: sweep.json does not record point %zu's failure (%s)\n", who.c_str(), i,
                     e.what());
      }
      throw;
    }
    record(i, rc == 0 ? "ran" : "interrupted", rc != 0);
    if (rc != 0) {  // stopped (Ctrl-C, SIGTERM): its files hold the ticks simulated, the later points are not run
      const std::size_t mine = (points.size() - static_cast<std::size_t>(rank) + step - 1) / step;
      std::fprintf(stderr, "%s: sweep stopped: %zu of this process's %zu points ran, %s interrupted, %zu not run "
                   "(sweep.json \"status\")\n", who.c_str(), ran, mine, one.sweep_point.c_str(), mine - ran - 1);
      return rc;
    }
    ++ran;
  }
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto o = std::make_shared<simulate_options>();
  CLI::App* cmd = app.add_subcommand("simulate", "Run the engine as fast as possible and write the readouts to files");
  cmd->add_option("--config", o->config, "TOML config")->check(CLI::ExistingFile)->capture_default_str();
  // When each file is written, as the writing code below decides it: lfp.npy was listed as always written, and an
  // [aln] node alone writes none (an outside audit, 2026-12-07).
  cmd->add_option("--out", o->out_dir, "Output folder (created): summary.json, config.toml (the config as it ran), "
                                       "rates.npy [ticks,2] Hz, mean_v.npy, "
                                       "mean_w.npy, stim.npy, and lfp.npy but for an [aln] node alone; with a [ring]: "
                                       "ring_rates_exc.npy, "
                                       "ring_rates_inh.npy (Hz) and vsdi.npy (%) [ticks,units]; with an [aln] node: "
                                       "aln_rates.npy, aln_mean_v.npy, "
                                       "aln_mean_w.npy [ticks,2] (and, without [network], its rates, V and I_A in "
                                       "rates.npy, mean_v.npy, mean_w.npy, and no lfp.npy)")
      ->required();
  cmd->add_option("--duration", o->duration_s,
                  "Simulated seconds, " + duration_range_help() + " (overrides simulation.duration_s)")
      ->check(positive_number)
      ->type_name("FLOAT");
  add_integer_text_option(cmd, "--seed", o->seed, "Seed (overrides simulation.seed)");
  add_integer_text_option(cmd, "--threads", o->threads, network_threads_help());
  cmd->add_option("--set", o->overrides, "Override a config key: section.key=value (repeatable)");
  cmd->add_option("--record", o->record, "Extra recordings: spikes -> spikes.npy [n,2] (t_ms, neuron)")
      ->check(CLI::IsMember({"spikes"}));
  cmd->add_option("--sweep", o->sweep, "Parameter sweep: section.key=v1,v2,... (repeatable: the grid of all "
                                       "combinations); point i goes to OUT/point_NNN/, OUT/sweep.json lists them, each "
                                       "with its \"status\" (ran, interrupted, failed, running, not run; under mpirun -n "
                                       "K each rank runs every K-th point and records its own); a line \"point i of "
                                       "n\" on stderr as each starts");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress line (nor a sweep's \"point i of n\" lines)");
  cmd->footer("Exit codes: 0 done; 1 the run failed or cannot run as launched (named: e.g. --out cannot be written, "
              "a build without MPI under mpirun); 2 the command line or config is wrong, or they do not go together "
              "(the option or key is named, e.g. --record spikes without a network, or a config mpirun cannot "
              "split; under mpirun too); 130 / 143 stopped by Ctrl-C / SIGTERM "
              "(the files hold the ticks simulated, summary.json says \"interrupted\": true; during the set-up, before "
              "any tick, it ends at once, simulating and writing nothing: the earlier outputs in --out are removed "
              "only when the set-up is done; a sweep stops at the point running, sweep.json saying which ran). A run killed before it "
              "finished its files (under mpirun, or by SIGKILL) leaves no summary.json and the spikes streamed so far in "
              "spikes.npy.partial (header not final), never a spikes.npy.");
  cmd->callback([o] {
    if (const int rc = o->sweep.empty() ? run_simulate(*o) : run_sweep(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
