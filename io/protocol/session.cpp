#include "io/protocol/session.hpp"

#include <cstring>
#include <type_traits>

#include "io/protocol/codec.hpp"

namespace cortexloop::io {

void encode_applied(flatbuffers::FlatBufferBuilder& b, const applied_fields& a) {
  b.Clear();
  const auto bytes = b.CreateVector(a.command.data(), a.command.size());
  const auto t = proto::CreateApplied(b, a.index, a.tick, a.epoch, a.accepted, static_cast<proto::ErrorCode>(a.code),
                                      a.tick_applied, a.epoch_applied, a.seq, bytes);
  b.Finish(proto::CreateMessage(b, proto::Payload::Applied, t.Union()), proto::MessageIdentifier());
}

namespace {
struct hasher {
  std::uint64_t h = ::cortexloop::engine::kFnv1aOffset;
  template <class T>
  void operator()(T v) {
    static_assert(std::is_arithmetic_v<T>);
    std::uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    h = fnv1a(raw, h);
  }
  void str(const flatbuffers::String* s) {
    (*this)(s ? s->size() : 0u);
    if (s) h = fnv1a({reinterpret_cast<const std::uint8_t*>(s->data()), s->size()}, h);
  }
  template <class V>
  void floats(const V* v) {  // a vector of scalars; absent and empty differ
    (*this)(v ? static_cast<std::int64_t>(v->size()) : -1);
    if (v)
      for (const auto x : *v) (*this)(x);
  }
  void pop(const proto::PopulationReadout* p) {
    (*this)(p != nullptr);
    if (!p) return;
    (*this)(p->rate_hz()), (*this)(p->mean_v_mv()), (*this)(p->mean_w_pa()), (*this)(p->i_stim_pa());
    (*this)(p->spikes());
  }
};
}  // namespace

std::uint64_t readout_hash(const proto::Readout& r) {
  hasher h;
  h(r.tick()), h(r.epoch()), h(r.t_ms());
  h.pop(r.exc()), h.pop(r.inh());
  h(r.lfp_proxy_na()), h(r.diverged());
  h.floats(r.ring_rates_exc_hz()), h.floats(r.vsdi_percent()), h.floats(r.ring_stim_pa()), h.floats(r.ring_rates_inh_hz());
  // The ALN node only when present, so that the hash of a readout without one is what it was before it existed.
  if (const proto::AlnReadout* a = r.aln())
    h(a->rate_e_hz()), h(a->rate_i_hz()), h(a->v_mean_e_mv()), h(a->i_a_pa()), h(a->diverged()), h(a->out_of_table());
  // Likewise the ALN ring's out-of-table count only when there is one (FlatBuffers omits a 0 field: reads 0).
  if (r.ring_out_of_table() != 0) h(r.ring_out_of_table());
  const proto::DeviceReadout* d = r.device();
  h(d != nullptr);
  if (!d) return h.h;
  h(d->sensing() ? static_cast<std::int64_t>(d->sensing()->size()) : -1);
  if (d->sensing())
    for (const auto* s : *d->sensing())
      h(s->signal()), h(s->raw()), h(s->filtered()), h(s->rms()), h(s->envelope()), h(s->phase_rad()), h(s->blanked());
  h(d->channels() ? static_cast<std::int64_t>(d->channels()->size()) : -1);
  if (d->channels())
    for (const auto* c : *d->channels())
      h(c->mean_current()), h(c->peak_current()), h(c->charge()), h(c->active()), h(static_cast<int>(c->site_kind()));
  h.floats(d->electrode_mean_ua());
  h(d->controllers() ? static_cast<std::int64_t>(d->controllers()->size()) : -1);
  if (d->controllers())
    for (const auto* c : *d->controllers())
      h(static_cast<int>(c->kind())), h(c->saturated()), h(c->feature()), h(c->output()), h(c->error()),
          h(c->triggers()), h(c->last_trigger_step());
  h(d->events() ? static_cast<std::int64_t>(d->events()->size()) : -1);
  if (d->events())
    for (const auto* e : *d->events()) {
      h(e->step()), h(e->channel()), h(e->electrode()), h(static_cast<int>(e->limit())), h(e->value()), h(e->bound());
      h.str(e->reason()), h(e->epoch());
    }
  h(d->events_total()), h(d->events_dropped()), h(d->ring_units_out_of_domain()), h(d->ring_max_mu_v_mv());
  return h.h;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::span<const std::uint8_t> in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = in[i] << 16;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = value(c)) < 0) {
        return std::nullopt;
      }
    }
    const std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>((n >> 8) & 255));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(n & 255));
  }
  return out;
}

}  // namespace cortexloop::io
