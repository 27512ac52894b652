"""Demo seed: a district's community registry, residents' ideas carrying their community,
and community development plans at every stage (issue 18).

The ideas are real Traffy Fondue reports of the chosen district
(``data/traffy_sample/ideas_sample.csv``), shared among its communities; each
Traffy category is one cluster (Traffy's own categorisation: the demo seeds
without an embedder). The first community adopted a plan last fiscal year
and reviewed it this year: adopted, with its top projects in the district's
annual action plan (so the district meets the BMA indicator); the second drew
up its first plan and sent it to the district; the third is drafting one.
"""

from __future__ import annotations

from collections import defaultdict

import psycopg

from pb import communities, community_plan_review, community_plans, ideas, processes
from pb.scope import Scope
from siang.seeds.traffy import reports_by_category

PER_CATEGORY = 5
CATEGORIES = 4
#: (name, BMA type, committee contact): typical names; contacts are placeholders.
REGISTRY = (
    ("ชุมชนริมคลองพัฒนา", "crowded", "นางสมใจ รักชุมชน (ประธาน) โทร 08x-xxx-0001"),
    ("ชุมชนหมู่บ้านร่มเย็น", "housing_estate", "นายประยูร ค้าขาย (ประธาน) โทร 08x-xxx-0002"),
    ("ชุมชนวัดใหม่สามัคคี", "urban", "นางบุญมี สุขใจ (ประธาน) โทร 08x-xxx-0003"),
    ("ชุมชนเคหะร่วมใจ", "housing_authority", "นายสมศักดิ์ อาสา (ประธาน) โทร 08x-xxx-0004"),
)
#: category → (project title, estimated cost in baht) the committee drew from it.
PROJECTS = {
    "ถนน": ("ซ่อมผิวถนนและทางเท้าในชุมชน", 850_000),
    "ทางเท้า": ("ปรับปรุงทางเท้าให้เดินได้ปลอดภัย", 620_000),
    "ความสะอาด": ("จัดจุดทิ้งขยะและรอบเก็บขยะประจำชุมชน", 180_000),
    "แสงสว่าง": ("ติดตั้งไฟส่องสว่างในซอย", 240_000),
    "น้ำท่วม": ("ลอกท่อระบายน้ำก่อนฤดูฝน", 400_000),
    "ท่อระบายน้ำ": ("ลอกท่อระบายน้ำก่อนฤดูฝน", 400_000),
    "จราจร": ("ติดตั้งป้ายและเครื่องหมายจราจรหน้าชุมชน", 150_000),
}


def seed(conn: psycopg.Connection, districts: list[str]) -> dict[str, int]:
    """Seed the registry and plans of the first of ``districts`` with Traffy reports and
    no community registered yet. Runs in the caller's transaction.

    Returns:
        counts for the demo summary: communities, ideas, clusters, plans, projects,
        projects_in_action_plan.

    Raises:
        ValueError: no district given has reports in the sample and no registry.
    """
    system = Scope.system()
    chosen, reports = None, {}
    for district in districts:
        reports = reports_by_category(district, CATEGORIES)
        taken = conn.execute("SELECT 1 FROM communities WHERE district = %s LIMIT 1",
                             (district,)).fetchone()
        if reports and taken is None:
            chosen = district
            break
    if chosen is None:
        raise ValueError("no demo district with Traffy reports and no community registry")
    csv_text = "name,district,type,committee_contact\n" + "".join(
        f'"{name}",{chosen},{kind},"{contact}"\n' for name, kind, contact in REGISTRY)
    report = communities.import_csv(conn, system, csv_text.encode())
    assert report.ok, report
    ids = [int(conn.execute("SELECT id FROM communities WHERE district = %s AND name = %s",
                            (chosen, name)).fetchone()[0]) for name, _k, _c in REGISTRY]
    process_id = processes.current_id(conn)
    fy = community_plans.this_fiscal_year()
    clusters: dict[str, int] = {}
    community_ideas: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    n_ideas = 0
    for category, texts in reports.items():
        cluster = conn.execute(
            """INSERT INTO clusters (process_id, district, label, keywords, size)
               VALUES (%s, %s, %s, %s, %s) RETURNING id""",
            (process_id, chosen, category, [category], min(len(texts), PER_CATEGORY))).fetchone()
        clusters[category] = int(cluster[0])
        for n, text in enumerate(texts[:PER_CATEGORY]):
            idea_id, _created = ideas.insert(conn, process_id=process_id, resident_id=None,
                                             district=chosen, text=text,
                                             normalised_text=text.lower(),
                                             webhook_event_id=None, source="import")
            community_id = ids[n % 3]
            conn.execute("UPDATE ideas SET community_id = %s WHERE id = %s",
                         (community_id, idea_id))
            conn.execute("INSERT INTO cluster_members (idea_id, cluster_id, assigned_by) "
                          "VALUES (%s, %s, 'staff')", (idea_id, clusters[category]))
            community_ideas[community_id][category].append(idea_id)
            n_ideas += 1
    n_plans = n_projects = entering = 0

    def compile_plan(community_id: int, year: int) -> tuple[int, list[int]]:
        nonlocal n_plans, n_projects
        plan_id = community_plans.start(conn, system, community_id, year)
        n_plans += 1
        made = [p.id for p in community_plans.projects_of(conn, plan_id)]
        if made:                    # a review: last year's projects, carried over
            return plan_id, made
        for priority, (category, idea_ids) in enumerate(
                sorted(community_ideas[community_id].items()), start=len(made) + 1):
            title, cost = PROJECTS.get(category, (f"แก้ปัญหา{category}ในชุมชน", 300_000))
            version = community_plans.get(conn, system, plan_id).version
            made.append(community_plans.add_project(
                conn, system, plan_id, version, community_plans.ProjectFields(
                    title=title, priority=priority, estimated_cost_baht=cost, year_be=year,
                    idea_ids=tuple(idea_ids), cluster_ids=(clusters[category],))))
            n_projects += 1
        return plan_id, made

    # 1: last year's plan adopted, this year's a review of it, adopted, top two entering.
    last_id, last_projects = compile_plan(ids[0], fy - 1)
    community_plans.submit(conn, system, last_id,
                           community_plans.get(conn, system, last_id).version,
                           "แผนพัฒนาชุมชนจากเวทีประชาคมและไอเดียของผู้อยู่อาศัยใน LINE")
    community_plan_review.adopt(conn, system, last_id,
                                community_plans.get(conn, system, last_id).version,
                                set(last_projects[:1]))
    review_id, review_projects = compile_plan(ids[0], fy)
    community_plans.submit(conn, system, review_id,
                           community_plans.get(conn, system, review_id).version,
                           "ทบทวนแผนปีที่แล้ว: คงโครงการที่ยังไม่ได้ดำเนินการ และเพิ่มเรื่องใหม่จาก LINE")
    community_plan_review.adopt(conn, system, review_id,
                                community_plans.get(conn, system, review_id).version,
                                set(review_projects[:2]))
    entering += len(review_projects[:2])
    # 2: a first plan, sent to the district; 3: a plan being drawn up.
    new_id, _new_projects = compile_plan(ids[1], fy)
    community_plans.submit(conn, system, new_id, community_plans.get(conn, system, new_id).version,
                           "แผนพัฒนาชุมชนฉบับแรก")
    compile_plan(ids[2], fy)
    return {"communities": len(REGISTRY), "ideas": n_ideas, "clusters": len(clusters),
            "plans": n_plans, "projects": n_projects, "projects_in_action_plan": entering}
