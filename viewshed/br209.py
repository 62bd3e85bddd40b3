"""The BRE BR 209 (2022, 3rd edition) tests for existing neighbours, applied to numbers before and after a proposal.

Each threshold names the paragraph it comes from. The guide is advisory: it says when a loss is
likely to be noticed, and a planner weighs it; a window "fails" here in the guide's sense only.
"""

from __future__ import annotations

import numpy as np

# 2.2.7: daylight may be adversely affected if, after the development, the VSC is both less than 27 %
# and less than 0.8 times its former value.
VSC_TARGET_PCT = 27.0
# 2.2.7 (and 3.2.11, 3.3.17): a reduction to less than 0.8 times the former value is noticeable.
FORMER_VALUE_RATIO = 0.8
# 3.2.11: a window within 90 degrees of due south fails if its centre receives less than 25 % of the
# annual probable sunlight hours, or less than 5 % between 21 September and 21 March, and less than
# 0.8 times its former hours in either period, and its annual loss is greater than 4 % of APSH.
APSH_ANNUAL_TARGET_PCT = 25.0
APSH_WINTER_TARGET_PCT = 5.0
APSH_ANNUAL_LOSS_PCT = 4.0
# 3.3.17: at least half of a garden or open space should see at least 2 hours of sun on 21 March;
# if, after, it does not and the area that does is less than 0.8 times its former value, the loss is noticeable.
GARDEN_SUN_HOURS = 2.0
GARDEN_SUNLIT_SHARE = 0.5


def vsc_fails(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """BR 209 2.2.7: after < 27 % and after < 0.8 x before (percent in, bool out)."""
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    return (after < VSC_TARGET_PCT) & (after < FORMER_VALUE_RATIO * before)


def apsh_fails(
    annual_before: np.ndarray, annual_after: np.ndarray, winter_before: np.ndarray, winter_after: np.ndarray
) -> np.ndarray:
    """BR 209 3.2.11 on percentages of annual probable sunlight hours (bool per window)."""
    ab, aa = np.asarray(annual_before, np.float64), np.asarray(annual_after, np.float64)
    wb, wa = np.asarray(winter_before, np.float64), np.asarray(winter_after, np.float64)
    annual = (aa < APSH_ANNUAL_TARGET_PCT) & (aa < FORMER_VALUE_RATIO * ab)
    winter = (wa < APSH_WINTER_TARGET_PCT) & (wa < FORMER_VALUE_RATIO * wb)
    return (annual | winter) & (ab - aa > APSH_ANNUAL_LOSS_PCT)


def garden_fails(share_before: float, share_after: float) -> bool:
    """BR 209 3.3.17: less than half sunlit 2 h on 21 March after, and under 0.8 x the former sunlit area."""
    return share_after < GARDEN_SUNLIT_SHARE and share_after < FORMER_VALUE_RATIO * share_before


def relative_loss(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """1 - after / before (0 when before is 0): the share of the former value a window loses."""
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, 1.0 - after / before, 0.0)
