-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_imaging__lesions') }}
-- depends_on: {{ ref('stg_sdtm__tu') }}
-- Tumour lesion identifications: where and when each lesion was identified, and by whom, with
-- the date as sent (TUDTC). int_tumour_lesions dates the measurements; this model keeps the
-- identification records themselves for the data queries on them.
{%- if var('input_source') == 'edc' %}

-- EDC: the core-lab file identifies a lesion at the first scan that records it; the file names
-- no evaluator (one reading, the core lab's).
select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    cast(null as integer) as TUSEQ,
    LESION_ID as TULNKID,
    'TUMIDENT' as TUTESTCD,
    LESION_CLASS as TUSTRESC,
    ORGAN as TULOC,
    cast(null as varchar) as TUEVAL,
    VISIT,
    strftime(SCAN_DAT_DT, '%Y-%m-%d') as TUDTC,
    SCAN_DAT_DT as TUDT,
    source_file,
    source_line
from {{ ref('stg_imaging__lesions') }}
qualify row_number() over (partition by SUBJID, LESION_ID order by SCAN_DAT_DT, source_line) = 1
order by USUBJID, TULNKID

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: every TU record of every evaluator, the date as sent (TUDTC may be empty, or absent
-- from the dataset and read as empty).
select
    USUBJID,
    USUBJID as SUBJID,
    TUSEQ,
    TULNKID,
    TUTESTCD,
    TUSTRESC,
    TULOC,
    TUEVAL,
    VISIT,
    TUDTC,
    TUDT,
    source_file,
    source_line
from {{ ref('stg_sdtm__tu') }}
where USUBJID in {{ sdtm_randomised_subjects() }}
order by USUBJID, TUSEQ

{%- else %}
{{ unsupported_input_source('int_lesion_identifications') }}
{%- endif %}
