{{ config(schema='quality', materialized='table') }}
{#-
    Every post-baseline scan on or before the cut-off where the mRECIST overall response
    computed from the lesions differs from the core-lab reader's verdict (SPEC section 5: every
    disagreement is a data query), with the target, non-target and new-lesion detail of both.
    A scan the reader did not read is not a disagreement.
-#}
{%- set cutoff = data_cutoff() %}

select
    USUBJID,
    SUBJID,
    ADT,
    ADY,
    AVISIT,
    OVR_COMPUTED,
    OVR_READER,
    TRGRESP,
    READER_TARGET,
    NTRGRESP,
    READER_NONTARGET,
    NEWLESION,
    READER_NEW,
    TARGET_SUM,
    NADIR,
    BASE_SUM
from {{ ref('int_overall_response') }}
where ADT <= {{ cutoff }}
  and OVR_READER is not null
  and OVR_COMPUTED <> OVR_READER
order by USUBJID, ADT
