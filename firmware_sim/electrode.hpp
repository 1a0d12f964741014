#pragma once
// Electrodes and the physics between them and the models.
//
// Geometry, one coordinate system in mm everywhere: positions along the ring (x in [0, ring length),
// periodic), heights above the cortical sheet (the sheet is z = 0). The spiking network is a small patch of
// cortex placed at network.position_mm on the ring . A ring unit i sits at
// engine::meanfield::ring_unit_position_mm(i).
//
// Field of a point current source in a homogeneous medium: E = I / (4 pi sigma r^2) (V/m with I in A,
// sigma in S/m, r in m), r = sqrt(d^2 + h^2) with d the periodic distance along the ring and h the electrode's
// height; r is floored at the electrode's radius (a sphere of the electrode's area), so an electrode in the
// sheet has a finite field: there E = I / (sigma A), the current density at its surface over sigma. Each target (the
// network's patch, a ring unit) takes the field at its one point: under an electrode in the sheet the whole patch
// takes the surface field (a modelling choice, docs/device.md, "The targets are points"). The potential of the same
// source, phi = I / (4 pi sigma r), is what a sensing electrode picks up as stimulation artifact.
//
// Field -> membrane current: i_m = k_pop * H(E) (pA), k_pop in pA per V/m at DC (Cakan & Obermayer 2020,
// ball-and-stick AdEx: 5.02 pA per V/m at DC for excitatory cells). H is a first-order lead-lag filter
//   H(s) = (1 + s tau_zero) / (1 + s tau_pole),   tau_zero = 20 ms (the point neuron's C/g_L, whose own
// low-pass the equivalent current has to undo), tau_pole fitted so that |k H(j 2 pi 30 Hz)| = 15.75 pA per V/m
// (the paper's 30 Hz figure): tau_pole = 3.92 ms. Discretised exactly for an input constant over each step
// (the step's mean field, from the charge of the step), so charge-balanced input stays balanced.
// Everything after construction is noexcept and allocation-free.
#include <cstdint>

namespace cortexloop::firmware_sim {

// The least values of the physics, which the config and the stimulator refuse below: at the electrode the field is
// E = I / (sigma A) (the floor r^2 = A / 4 pi), so these two bound it for every accepted electrode (1e-300 S/m put
// +-inf into every current: an outside audit, 2026-12-06).
//   conductivity: a factor 6 below the least conductive brain tissue, white matter across its fibres (0.06-0.08 S/m;
//   Gabriel et al. 1996, Geddes & Baker 1967; grey matter 0.1-0.4 S/m, CSF 1.8 S/m, Baumann et al. 1997);
//   area: an order of magnitude below the smallest electrode sites in use, 12 x 12 um = 1.44e-4 mm^2 (Neuropixels,
//   Jun et al. 2017) and the electrodes of a CMOS array that stimulates single cells (Lei et al. 2011: over 6500
//   per mm^2, each under 1.5e-4 mm^2).
inline constexpr double kMinSigma_S_per_m = 0.01;
inline constexpr double kMinArea_mm2 = 1e-5;

struct electrode_params {
  double position_mm = 0.0;      // along the ring
  double height_mm = 1.0;        // above the sheet (>= 0)
  double area_mm2 = 0.01;        // geometric surface area: charge density, radius floor
  double impedance_kOhm = 10.0;  // for the compliance-voltage check
};

struct coupling_params {
  double sigma_S_per_m = 0.3;           // tissue conductivity
  double exc_pA_per_V_per_m = 5.02;     // Cakan & Obermayer 2020, DC
  double inh_pA_per_V_per_m = 0.0;      // compact interneurons: no field coupling by default
  double tau_zero_ms = 20.0;
  double tau_pole_ms = 3.92;            // fitted to 15.75 pA per V/m at 30 Hz
};

// Radius of a sphere with the electrode's area (mm).
double electrode_radius_mm(const electrode_params& e) noexcept;
// Distance (mm) from the electrode to a point of the sheet at position x_mm, floored at the radius.
double electrode_distance_mm(const electrode_params& e, double x_mm, double ring_length_mm) noexcept;
// |E| in V/m at distance r_mm from a point source of current_uA in a medium of sigma.
double field_V_per_m(double current_uA, double r_mm, double sigma_S_per_m) noexcept;
// Potential in mV at distance r_mm.
double potential_mV(double current_uA, double r_mm, double sigma_S_per_m) noexcept;

// The lead-lag filter H, one state; input and output in the same unit (e.g. uA, scaled afterwards by the
// geometric factor k_pop / (4 pi sigma r^2) of each target).
class coupling_filter {
 public:
  coupling_filter() = default;
  coupling_filter(const coupling_params& c, double dt_ms) noexcept;
  // Input: mean over the step; returns the mean output over the step.
  double step(double input) noexcept;
  void reset() noexcept { state_ = 0.0; }
  // |H(j 2 pi f)|, for tests and docs.
  double gain(double frequency_Hz) const noexcept;

 private:
  double direct_ = 1.0, decay_ = 0.0, state_gain_ = 0.0, state_ = 0.0, tau_zero_ms_ = 0.0, tau_pole_ms_ = 0.0;
  double mean_factor_ = 0.0;  // (tau_pole / dt) (1 - decay): the state's mean over a step (electrode.cpp)
};

}  // namespace cortexloop::firmware_sim
