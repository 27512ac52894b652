"""Cluster titles and keyword chips staff can read (issue 15)."""

from __future__ import annotations

from nlp.keywords import cluster_keywords, cluster_title


def test_title_is_the_representative_idea_cut_at_a_word_boundary():
    text = "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมาก รถล้มบ่อยมากขอให้ช่วยซ่อมด่วนที่สุดเลยค่ะ"
    title = cluster_title(text)
    assert title == "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมาก…"
    long_phrase = "ขอให้ขุดลอกคลองผดุงกรุงเกษมช่วงหน้าชุมชนน้ำเน่าเหม็นมากและมีขยะลอยเต็มไปหมดตลอดแนวคลอง"
    cut = cluster_title(long_phrase)
    assert cut.endswith("…") and len(cut) <= 61
    assert long_phrase.startswith(cut[:-1])
    assert cut[:-1].endswith("มี")          # a whole word, not half of "มีขยะ"'s letters
    assert cluster_title("ไฟดับ") == "ไฟดับ" and cluster_title(None) == ""


def test_noise_keywords_are_dropped_and_misspellings_mended():
    got = cluster_keywords({
        1: ["นำ้ท่วมถนน หน้าร้าน brasserie del", "นำ้ท่วมขังถนนหน้าบ้าน", "น้ำท่วมถนนซอย 5 ทุกวัน"],
        2: ["ไฟดับ", "ไฟดับมืดมาก"],
    })
    assert "น้ำ" in got[1] and "นำ้" not in got[1]
    assert not {"brasserie", "del"} & set(got[1])
    assert got[2] == ["ดับ", "ไฟ"]


def test_a_latin_word_shared_by_the_cluster_stays():
    got = cluster_keywords({1: ["wifi ฟรีในสวนสาธารณะ", "wifi ในสวนช้ามาก", "ขอ wifi ที่ห้องสมุด"],
                            2: ["ไฟดับ", "ไฟดับมืดมาก"]})
    assert "wifi" in got[1]
