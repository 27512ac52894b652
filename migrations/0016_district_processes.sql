-- Issue 18: three more BMA participation programmes on the processes container
-- (DESIGN.md, "Data model"), so "what's open in my district" is one list:
--   'hearing'         a district public hearing (โครงการรับฟังความคิดเห็นของประชาชน
--                     เพื่อกำหนดนโยบายการพัฒนาเชิงพื้นที่ของสำนักงานเขต);
--   'council'         one district city council meeting's call for questions
--                     (สภาคนเมืองประจำเขต);
--   'community_plan'  a district's call for community development plans
--                     (โครงการสนับสนุนการจัดทำและทบทวนแผนพัฒนาชุมชน).
-- Their own tables come in 0017 (hearings), 0018 (community plans), 0019 (council).

-- migrate:up
ALTER TABLE processes DROP CONSTRAINT processes_kind_check;
ALTER TABLE processes ADD CONSTRAINT processes_kind_check
    CHECK (kind IN ('pb', 'hearing', 'council', 'community_plan'));

-- PB keeps its four stages; the other kinds are drafted, opened, closed, and
-- their results published.
ALTER TABLE processes DROP CONSTRAINT processes_stage_check;
ALTER TABLE processes ADD CONSTRAINT processes_stage_check CHECK (
    (kind = 'pb' AND stage IN ('ideas', 'projects', 'voting', 'implementation', 'closed'))
    OR (kind <> 'pb' AND stage IN ('draft', 'open', 'closed', 'published')));

-- Where a process runs: NULL with district NULL = the whole city; a list of
-- district names (Thai) for a hearing held by a district group.
ALTER TABLE processes ADD COLUMN scope_districts text[];
ALTER TABLE processes ADD COLUMN created_by bigint REFERENCES staff (id) ON DELETE SET NULL;
CREATE INDEX processes_kind_open ON processes (kind, stage, opens_at, closes_at);

-- migrate:down
DROP INDEX processes_kind_open;
ALTER TABLE processes DROP COLUMN created_by;
ALTER TABLE processes DROP COLUMN scope_districts;
ALTER TABLE processes DROP CONSTRAINT processes_stage_check;
ALTER TABLE processes ADD CONSTRAINT processes_stage_check
    CHECK (stage IN ('ideas', 'projects', 'voting', 'implementation', 'closed'));
ALTER TABLE processes DROP CONSTRAINT processes_kind_check;
ALTER TABLE processes ADD CONSTRAINT processes_kind_check CHECK (kind IN ('pb'));
