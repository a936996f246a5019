"""Consortium suggestions: need splitting, the coverage objective (oracle values), greedy team
search on a constructed example, and the real engine on the small corpus."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.consortium import (MIN_NEED_CHARS, consortia_for, coverage, describe, grow_team, split_needs,
                                suggest_teams)


def test_split_needs_paragraphs_and_list_items():
    text = ("The first problem is noise from bars late at night, next to homes of older families.\n\n"
            "The second is the sidewalk: tables and signboards block footpaths that are 1.5 m wide.\n"
            "1) ตรอกแคบ รถดับเพลิงเข้าไม่ถึงจุดเกิดเหตุ ต้องลากสายส่งน้ำเข้าไปไกลมาก\n"
            "2) สายไฟพ่วงต่อกันบนหลังคา เป็นต้นเหตุของไฟไหม้หลายครั้งในชุมชน")
    needs = split_needs(text)
    assert len(needs) == 4
    assert needs[0].startswith("The first") and needs[2].startswith("1)") and needs[3].startswith("2)")


def test_split_needs_one_paragraph_into_sentences_and_tiny_fragments_merged():
    english = ("We need real-time counts of tour buses parked on the road. We also need a way to clear "
               "food waste after the night market closes. Thanks!")
    needs = split_needs(english)
    assert len(needs) == 2 and needs[1].endswith("Thanks!")  # "Thanks!" is too short alone
    thai = ("ทีมเทศกิจอยากได้ข้อมูลแบบเรียลไทม์ว่ารถบัสเข้ามากี่คันและจอดตรงไหน "
            "ส่วนเรื่องขยะหลังตลาดวายยังไม่มีวิธีจัดการเลยอยากได้ทีมที่ช่วยเก็บคัดแยก ครับ")
    needs = split_needs(thai)
    assert len(needs) == 2 and all(len(n) >= MIN_NEED_CHARS for n in needs)
    assert split_needs("short") == ["short"]


def test_split_needs_at_most_max_needs():
    text = "\n\n".join(f"Paragraph number {i} describes one more separate need of this challenge." for i in range(9))
    needs = split_needs(text, max_needs=4)
    assert len(needs) == 4 and " ".join(needs).count("Paragraph number") == 9


def test_coverage_is_the_weighted_mean_of_the_best_member_fit():
    fits = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.3]])
    assert coverage(fits, [0]) == pytest.approx((0.9 + 0.1 + 0.0) / 3)
    assert coverage(fits, [0, 1]) == pytest.approx((0.9 + 0.8 + 0.3) / 3)
    w = np.array([2.0, 1.0, 1.0])
    assert coverage(fits, [0, 1], w) == pytest.approx((2 * 0.9 + 0.8 + 0.3) / 4)
    assert coverage(fits, []) == 0.0


def test_greedy_set_cover_on_a_constructed_example():
    # needs: sensors, data platform, volunteers
    fits = np.array([
        [0.9, 0.8, 0.0],   # 0: sensors + platform (best alone)
        [0.0, 0.0, 0.9],   # 1: community volunteers
        [0.85, 0.75, 0.0],  # 2: a near-copy of 0 (overlap, adds nothing)
        [0.3, 0.3, 0.3],   # 3: generalist
    ])
    assert grow_team(fits, 0) == [0, 1]  # 2 would add < MIN_GAIN, 3 too once 1 is in
    teams = suggest_teams(fits, n_teams=3)
    assert teams[0] == [0, 1]
    assert all(len(t) >= 2 and len(set(t)) == len(t) for t in teams)
    assert [coverage(fits, t) for t in teams] == sorted((coverage(fits, t) for t in teams), reverse=True)
    team = describe(fits, teams[0], ["sense", "vol", "copy", "gen"], {"sense": ("Sense Co", "startup")})
    assert [m.covers for m in team.members] == [[0, 1], [2]]  # who covers what
    assert team.covered == [0, 1, 2] and team.overlap == 0 and team.coverage == pytest.approx(100 * (0.9 + 0.8 + 0.9) / 3)


def test_no_team_when_one_innovator_covers_everything():
    fits = np.array([[0.9, 0.9], [0.5, 0.1], [0.1, 0.5]])
    assert suggest_teams(fits) == []
    assert suggest_teams(np.array([[0.9, 0.2]])) == []  # one candidate


def test_consortia_on_the_real_engine(engine):
    challenges = engine.collection("challenges")
    challenge_id = max(challenges.docs, key=lambda key: len(split_needs(challenges.docs[key].text)))
    suggestion = consortia_for(engine, challenge_id, pool=10)
    assert len(suggestion.needs) >= 2
    top = {h.key for h in engine.match_challenge(challenge_id, 10, floor=False)}
    assert suggestion.best_single is not None and suggestion.best_single.innovator_id in top
    for team in suggestion.teams:
        assert 2 <= len(team.members) <= 3 and set(team.ids) <= top
        assert team.coverage >= suggestion.best_single_coverage - 1e-9
        for member in team.members:
            assert len(member.fits) == len(suggestion.needs) and set(member.covers) <= set(team.covered)
    body = suggestion.to_dict()
    assert body["challenge_id"] == challenge_id and len(body["needs"]) == len(suggestion.needs)
    assert challenge_id in suggestion.to_markdown()
