"""Every axis of the live viewer's figure names its quantity and unit (the sensing panels said "(its unit)", the
delivered current "(tick mean)" and the VSDi map put "±0.0 %" beside the position axis for a map of ±0.03 %).
Offline: the viewer's draw() on buffers filled here, as readouts would fill them. Reference: the signal units of
docs/device.md's table ([[device.sensing]] `signal`: lfp_proxy nA, rate_exc Hz, ring_vsdi %) and the site units of
docs/protocol.md (uA at an electrode, pA per cell at a direct site)."""
import re
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cortexloop_client import viewer  # noqa: E402

UNIT = re.compile(r"\((Hz|nA|mm|%|pA/cell|uA)[) ]")


class ViewerUnits(unittest.TestCase):
    def test_every_axis_has_a_unit(self):
        b = viewer.Buffers(100)
        signals = ["lfp_proxy", "rate_exc", "ring_vsdi"]
        for k in range(100):
            b.t.append(k / 1000.0)
            b.exc.append(5.0)
            b.inh.append(20.0)
            b.lfp.append(600.0)
            b.stim.append(0.0)
            b.vsdi.append([0.01 * (k % 7), -0.02, 0.0])
            b.sensing.append([[600.0, 0.0], [5.0, 5.0], [0.01, 0.01]])
            b.delivered.append([200.0, 3.0] + [0.0] * 6)
        b.active = {(0, "pA/cell"), (1, "uA")}
        fig, axes = viewer.build_figure(plt, True, n_sensing=3, with_device=True)
        viewer.draw(fig, axes, b, ring_length_mm=36.0, signals=signals)
        labels = [a.get_ylabel() for a in axes]
        for label in labels:
            self.assertRegex(label, UNIT, labels)
            self.assertNotIn("its unit", label)
        self.assertIn("(nA)", labels[3])   # S0: lfp_proxy
        self.assertIn("(Hz)", labels[4])   # S1: rate_exc
        self.assertIn("(%)", labels[5])    # S2: ring_vsdi
        self.assertIn("pA/cell", labels[6])
        self.assertIn("uA", labels[6])
        self.assertEqual(labels[7], "ring position (mm)")
        self.assertIn("%", axes[7].get_title(loc="left"))
        self.assertIn("(s)", axes[-1].get_xlabel())
        plt.close(fig)


if __name__ == "__main__":
    unittest.main()
