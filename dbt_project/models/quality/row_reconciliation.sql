{{ config(schema='quality', materialized='table') }}
-- Proves, per input file, that every raw row is either staged or quarantined (SPEC section 4).
-- The files of the run's input layout (var input_source); the file name is the one loaded
-- (SDTM: the profile's sdtm_files name when set).
{% if var('input_source') == 'sdtm' %}
{% set files = [] %}
{% for domain in ['dm', 'ex', 'ae', 'ds', 'tu', 'tr', 'rs'] %}
{% do files.append(((var('sdtm_files') or {}).get(domain, domain ~ '.csv'), 'sdtm_' ~ domain, 'stg_sdtm__' ~ domain)) %}
{% endfor %}
{% set subject_table = 'sdtm_dm' %}
{% else %}
{% set files = [
    ('edc/dm.csv', 'edc_dm', 'stg_edc__dm'),
    ('edc/ex.csv', 'edc_ex', 'stg_edc__ex'),
    ('edc/ae.csv', 'edc_ae', 'stg_edc__ae'),
    ('edc/ds.csv', 'edc_ds', 'stg_edc__ds'),
    ('edc/surv.csv', 'edc_surv', 'stg_edc__surv'),
    ('edc/ct.csv', 'edc_ct', 'stg_edc__ct'),
    ('imaging/lesions.csv', 'imaging_lesions', 'stg_imaging__lesions'),
    ('imaging/timepoints.csv', 'imaging_timepoints', 'stg_imaging__timepoints'),
] %}
{% set subject_table = 'edc_dm' %}
{% endif %}

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
