-- Cooperation projects, their stage history, and the excluded-industry catalogue that screens them.

CREATE TABLE project (
    id             bigserial PRIMARY KEY,
    mechanism_code text NOT NULL REFERENCES mechanism,
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    enterprises    text[] NOT NULL DEFAULT '{}',
    -- CNY, exact (亿元 = 100,000,000).
    investment     numeric(20, 2) NOT NULL CHECK (investment >= 0),
    industry       text NOT NULL CHECK (industry IN
                       ('energy_materials', 'light_food', 'pharmaceuticals', 'equipment', 'circular', 'other')),
    sub_industry   text NOT NULL DEFAULT '' CHECK (char_length(sub_industry) <= 100),
    source_region  text NOT NULL CHECK (source_region IN ('east_central', 'west', 'abroad')),
    host_member    text NOT NULL,
    place          text NOT NULL DEFAULT '' CHECK (char_length(place) <= 200),
    stage          text NOT NULL DEFAULT 'planned'
                   CHECK (stage IN ('planned', 'started', 'under_construction', 'completed')),
    created_by     bigint NOT NULL REFERENCES principal,
    created_at     timestamptz NOT NULL,
    FOREIGN KEY (mechanism_code, host_member) REFERENCES member
);
CREATE INDEX project_mechanism ON project (mechanism_code, industry);

CREATE TABLE project_stage (
    project_id bigint NOT NULL REFERENCES project,
    stage      text NOT NULL,
    at         timestamptz NOT NULL,
    by         bigint NOT NULL REFERENCES principal
);
CREATE INDEX project_stage_project ON project_stage (project_id, at);

-- Versioned: a new version is a new set of rows; requests record the version that screened them.
CREATE TABLE screening_catalogue (
    version   integer NOT NULL CHECK (version > 0),
    effective date NOT NULL,
    code      text NOT NULL CHECK (code ~ '^[a-z_]+$'),
    name      text NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (version, code)
);

INSERT INTO screening_catalogue (version, effective, code, name, reason) VALUES
    (1, '2014-07-06', 'steel', '钢铁', 'overcapacity'),
    (1, '2014-07-06', 'cement', '水泥', 'overcapacity'),
    (1, '2014-07-06', 'flat_glass', '平板玻璃', 'overcapacity'),
    (1, '2014-07-06', 'aluminium_smelting', '铝冶炼', 'overcapacity, high energy use'),
    (1, '2014-07-06', 'traditional_coal_chemicals', '传统煤化工', 'heavy pollution, high water use'),
    (1, '2014-07-06', 'paper', '造纸', 'heavy pollution, high water use');
