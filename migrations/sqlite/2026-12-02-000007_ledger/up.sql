-- The ledger (督办台账): indexes for its filters and sorts, and manual chases in the chase
-- log — who chased (actor) and, for a phone call, what was said (note).
CREATE INDEX obligations_due ON obligations (due_on, id);
CREATE INDEX obligations_state ON obligations (state, due_on);
CREATE INDEX obligations_measure ON obligations (measure_id, period_start);
-- Drafts and reports waiting for review are few among years of accepted ones.
CREATE INDEX reports_state ON reports (state, obligation_id);
ALTER TABLE chase_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE chase_log ADD COLUMN note TEXT NOT NULL DEFAULT '';
