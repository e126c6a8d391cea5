-- The contract allows an attempt number up to 2^31 - 1, and UInt16 wrapped anything past 65,535
-- (70,000 was stored as 4,464). Widening the column keeps every stored value.
ALTER TABLE {db}.workflow_executions MODIFY COLUMN attempt UInt32;
