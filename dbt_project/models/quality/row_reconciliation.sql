{{ config(schema='quality', materialized='table') }}
-- Proves, per input file, that every raw row is either staged or quarantined (SPEC section 4).
-- The files of the run's input layout (var input_source), from the input contract (macro
-- input_files, generated from it); the file name is the one loaded (SDTM: the profile's
-- sdtm_files name when set).
{% set files = [] %}
{% set subject_table = [] %}
{% for file in input_files('sdtm' if var('input_source') == 'sdtm' else 'edc') %}
{% set path = (var('sdtm_files') or {}).get(file.domain, file.path) if var('input_source') == 'sdtm' else file.path %}
{% do files.append((path, file.raw_table, file.staging_model)) %}
{% if file.subject_file %}{% do subject_table.append(file.raw_table) %}{% endif %}
{% endfor %}
{% set subject_table = subject_table[0] %}

with raw_rows as (
    {% for path, raw_table, staging_model in files %}
    select '{{ path }}' as file, {{ loop.index }} as file_order,
           count(*) as raw_rows, min(_export_id) as export_id
    from {{ source('raw', raw_table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

staged_rows as (
    {% for path, raw_table, staging_model in files %}
    select '{{ path }}' as file, count(*) as staged_rows from {{ ref(staging_model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

quarantined_rows as (
    select q.file, count(distinct q.line) as quarantined_rows
    from {{ source('quality', 'quarantine') }} as q
    where q.export_id in (select subjects._export_id from {{ source('raw', subject_table) }} as subjects)
    group by q.file
)

select
    raw_rows.file,
    raw_rows.export_id,
    raw_rows.raw_rows,
    staged_rows.staged_rows,
    coalesce(quarantined_rows.quarantined_rows, 0) as quarantined_rows,
    raw_rows.raw_rows = staged_rows.staged_rows + coalesce(quarantined_rows.quarantined_rows, 0) as reconciled
from raw_rows
inner join staged_rows using (file)
left join quarantined_rows using (file)
order by raw_rows.file_order
