"""Progress reports (BMA form): validation with clear messages, numbering, audit, the admin
pages, and the export in the form's layout (printable HTML and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from pb import audit, progress, progress_summaries, projects
from pb.scope import Scope
from tests.admin_support import accounts, signed_in  # noqa: F401
from tests.progress_support import END, PNG, START, file, report, world  # noqa: F401

TODAY = dt.date(2026, 9, 30)


def _validate(db, world, fields, previous=()):
    project = projects.get(db, Scope.system(), world.project_id)
    form = progress.get_form(db, world.project_id)
    return progress.validate_report(project, form, list(previous), fields, today=TODAY)


def _code(call) -> str:
    with pytest.raises(progress.ProgressError) as info:
        call()
    return info.value.code


def _prev(number, day, percent, disbursed):
    return progress.Report(report_date=day, narrative="x", percent=percent,
                           disbursed_baht=disbursed, on_plan=True, on_target=True, number=number)


def test_report_rules_each_give_a_code(db, world):
    ok = report(dt.date(2025, 12, 1), 30, 300_000)
    assert _validate(db, world, ok).percent == 30
    # Issue 16: a report may come before the planned start (it is flagged, not refused).
    early = _validate(db, world, report(START - dt.timedelta(days=1), 10))
    assert progress.before_start(projects.get(db, Scope.system(), world.project_id),
                                 early.report_date)
    assert _code(lambda: _validate(db, world, report(END + dt.timedelta(days=1), 10))) \
        == "date_after_end"
    assert _code(lambda: progress.validate_report(
        projects.get(db, Scope.system(), world.project_id), progress.get_form(db, world.project_id),
        [], report(dt.date(2026, 1, 2), 10), today=dt.date(2026, 1, 1))) == "date_in_future"
    for bad in (-1, 101):
        assert _code(lambda: _validate(db, world, report(dt.date(2025, 12, 1), bad))) \
            == "percent_range"
    assert _code(lambda: _validate(db, world, report(dt.date(2025, 12, 1), 10, narrative="  "))) \
        == "narrative_required"
    earlier = [_prev(1, dt.date(2025, 12, 1), 40, 1_000_000)]
    # Progress may not go down without a stated reason; with one it may.
    assert _code(lambda: _validate(db, world, report(dt.date(2025, 12, 15), 35), earlier)) \
        == "percent_down"
    fixed = _validate(db, world, report(dt.date(2025, 12, 15), 35,
                                        reason="  วัดพื้นที่ใหม่   พบว่าเกินจริง "), earlier)
    assert fixed.decrease_reason == "วัดพื้นที่ใหม่ พบว่าเกินจริง"
    # A reason given while the percent did not go down is not kept.
    assert _validate(db, world, report(dt.date(2025, 12, 15), 50, reason="x"), earlier) \
        .decrease_reason == ""
    # Total disbursed ≤ budget received (1,200,000): 1,000,000 + 200,001 is over.
    error = pytest.raises(progress.ProgressError, _validate, db, world,
                          report(dt.date(2025, 12, 15), 50, 200_001), earlier).value
    assert (error.code, error.values["left"], error.values["total"]) == ("over_budget", 200_000,
                                                                         1_200_001)
    assert _validate(db, world, report(dt.date(2025, 12, 15), 50, 200_000), earlier)
    assert _code(lambda: _validate(db, world, report(dt.date(2025, 11, 30), 50), earlier)) \
        == "date_before_previous"


def test_a_form_without_budget_and_a_project_not_selected_refuse_reports(db, world):
    with db.transaction():
        db.execute("UPDATE progress_forms SET budget_received_baht = NULL")
    assert _code(lambda: _validate(db, world, report(dt.date(2025, 12, 1), 10))) == "no_budget"
    db.rollback()
    with db.transaction():
        db.execute("UPDATE projects SET state = 'done'")
    assert _code(lambda: _validate(db, world, report(dt.date(2025, 12, 1), 10))) \
        == "not_reportable"
    db.rollback()


def test_filing_numbers_reports_moves_to_in_progress_and_audits(db, world):
    file(db, world, report(dt.date(2025, 11, 1), 20, 250_000))
    assert projects.get(db, Scope.system(), world.project_id).state == "in_progress"
    file(db, world, report(dt.date(2026, 1, 15), 55, 400_000, on_plan=False), photo=PNG)
    reports = progress.list_reports(db, world.project_id)
    assert [(r.number, r.percent, r.has_photo) for r in reports] == [(1, 20, False), (2, 55, True)]
    summary = progress_summaries.summary(db, world.project_id)
    assert (summary.percent, summary.disbursed_baht, summary.allocated_baht) == (55, 650_000,
                                                                                 1_200_000)
    # A second post of the form for report 2 (double click) is a conflict, not report 3.
    with pytest.raises(progress.ProgressConflict), db.transaction():
        progress.add_report(db, Scope.system(), world.project_id, 2,
                            report(dt.date(2026, 1, 15), 55), today=TODAY)
    actions = [e.action for e in audit.entries(db, target_type="project",
                                               target_id=world.project_id)]
    assert actions[:3] == ["progress.report", "progress.report", "project.transition"]
    # The budget received cannot drop below what was disbursed.
    with pytest.raises(progress.ProgressError) as info, db.transaction():
        form = progress.get_form(db, world.project_id)
        progress.save_form(db, Scope.system(), world.project_id, form.version,
                           progress.FormFields(budget_received_baht=600_000))
    assert info.value.code == "budget_below_disbursed"
    assert progress.check_photo(PNG) == "image/png"
    assert _code(lambda: progress.check_photo(b"GIF89a...")) == "photo_type"


def _post_report(client, project_id, **overrides):
    data = {"number": "1", "report_date": "01/11/2568", "narrative": "เริ่มขุดรื้อผิวถนนเดิม",
            "percent": "20", "disbursed_baht": "250,000", "on_plan": "yes", "on_target": "yes",
            "decrease_reason": ""}
    data.update(overrides)
    return client.post(f"/admin/progress/{project_id}/reports", data=data)


def test_admin_files_reports_with_thai_messages_and_scope(world, signed_in):
    officer = signed_in("officer")
    page = officer.get(f"/admin/progress/{world.project_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "ซ่อมถนนซอยประชาอุทิศ 45" in html
    response = _post_report(officer, world.project_id,
                            disbursed_baht="1,300,000")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "1,300,000" in text and "1,200,000" in text          # the over-budget message
    response = _post_report(officer, world.project_id, report_date="01/11/2025")
    assert response.status_code == 400                     # a Common Era year is refused
    response = _post_report(officer, world.project_id)
    assert response.status_code == 303
    response = _post_report(officer, world.project_id, number="2", report_date="15/01/2569",
                            percent="10")
    assert response.status_code == 400
    assert "20%" in response.get_data(as_text=True) and "10%" in response.get_data(as_text=True)
    response = _post_report(officer, world.project_id, number="2", report_date="15/01/2569",
                            percent="10", disbursed_baht="0",
                            decrease_reason="วัดพื้นที่ใหม่ พบว่างานรื้อยังไม่เสร็จ")
    assert response.status_code == 303
    assert signed_in("viewer").post(f"/admin/progress/{world.project_id}/reports",
                                    data={}).status_code == 403
    assert signed_in("other_officer").get(f"/admin/progress/{world.project_id}").status_code == 404
    listing = officer.get("/admin/progress").get_data(as_text=True)
    assert "ซ่อมถนนซอยประชาอุทิศ 45" in listing and "10%" in listing


def test_report_photo_upload(world, signed_in):
    officer = signed_in("officer")
    officer.get(f"/admin/progress/{world.project_id}")
    response = officer.client.post(
        f"/admin/progress/{world.project_id}/reports", content_type="multipart/form-data",
        data={"csrf_token": officer.token, "number": "1", "report_date": "01/11/2568",
              "narrative": "รื้อผิวถนน", "percent": "20", "disbursed_baht": "0",
              "on_plan": "yes", "on_target": "no", "photo": (io.BytesIO(PNG), "site.png")})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    page = officer.get(f"/admin/progress/{world.project_id}").get_data(as_text=True)
    report_id = int(page.split("/admin/progress/photo/")[1].split('"')[0])
    photo = officer.client.get(f"/admin/progress/photo/{report_id}")
    assert photo.mimetype == "image/png" and photo.data == PNG


def test_export_in_the_bma_layout(db, world, signed_in):
    file(db, world, report(dt.date(2025, 11, 1), 20, 250_000, narrative="รื้อผิวถนนเดิม"))
    file(db, world, report(dt.date(2026, 1, 15), 55, 400_000, on_target=False))
    officer = signed_in("officer")
    html = officer.get(f"/admin/progress/{world.project_id}/form.html").get_data(as_text=True)
    for expected in ("แบบรายงานความก้าวหน้าโครงการ", "PB-2569-TK-001", "01/10/2568",
                     "30/09/2569", "1,200,000", "650,000", "550,000", "01/11/2568", "15/01/2569",
                     "หลักการและเหตุผล", "ถนนชำรุด น้ำท่วมขัง", "สำนักงานเขตทุ่งครุ / ฝ่ายโยธา"):
        assert expected in html, expected
    english = officer.get(f"/admin/progress/{world.project_id}/form.html?lang=en")
    assert "BMA project progress report" in english.get_data(as_text=True)
    response = officer.get(f"/admin/progress/{world.project_id}/form.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    fields = {r[0]: r[1] for r in rows if len(r) == 2}
    assert fields["รหัสโครงการ"] == "PB-2569-TK-001"
    assert fields["งบประมาณที่ได้รับ (บาท)"] == "1200000"
    assert fields["งบประมาณที่ใช้ไป (บาท)"] == "650000"
    table = rows[rows.index([]) + 1:]
    assert table[0][0] == "ครั้งที่"
    assert table[1][:6] == ["1", "01/11/2568", "รื้อผิวถนนเดิม", "20", "250000", "250000"]
    assert table[2][5:8] == ["650000", "ใช่", "ไม่ใช่"]
