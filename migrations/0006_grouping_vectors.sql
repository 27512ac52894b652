-- Grouping vectors (issue 9): next to each idea's raw multilingual-E5-small
-- vector, the vector that clustering and the similar-idea search compare
-- (nlp.represent: a supervised projection of the raw vector and the text,
-- 384 wide, unit length, compared by cosine). It needs the text as well as
-- the raw vector, so the worker computes it when it embeds the idea (not
-- SQL). Cluster centroids (clusters.centroid) live in the same space. Rows
-- stored before this migration, or before a new projection was shipped, are
-- recomputed from their text and raw vector by `siang nlp regroup`.

-- migrate:up
ALTER TABLE idea_embeddings ADD COLUMN grouping vector(384);

-- migrate:down
ALTER TABLE idea_embeddings DROP COLUMN grouping;
