-- Every date on which a patient is known to have been alive, with where it came from
-- (SRCDOM, SRCVAR, SRCSEQ): enrolment, dose dates, complete AE dates, ALIVE follow-up contacts
-- and scan dates (SPEC 5, OS censoring). ADSL takes the latest one within the cut-off as
-- LSTALVDT; ADTTE can take its source from here. Dates are not cut off here.
with alive_dates as (
    select USUBJID, ENRLDT as ALIVE_DT, 'DM' as SRCDOM, 'ENRLDAT' as SRCVAR,
           cast(null as integer) as SRCSEQ, source_file, source_line
    from {{ ref('int_subjects') }}

    union all
    select USUBJID, EXSTDT, 'EX', 'EXSTDAT', EXSEQ, source_file, source_line
    from {{ ref('int_exposure') }}

    union all
    select USUBJID, EXENDT, 'EX', 'EXENDAT', EXSEQ, source_file, source_line
    from {{ ref('int_exposure') }}

    union all
    -- Only complete AE dates count: a partial date does not prove a day alive.
    select USUBJID, AESTDT, 'AE', 'AESTDAT', AESPID, source_file, source_line
    from {{ ref('int_adverse_events') }}

    union all
    select USUBJID, AEENDT, 'AE', 'AEENDAT', AESPID, source_file, source_line
    from {{ ref('int_adverse_events') }}

    union all
    -- Contacts reporting a death are evidence of death, not of life.
    select USUBJID, CONTACT_DT, 'SURV', 'CONTACT_DAT', CONTACT_SEQ, source_file, source_line
    from {{ ref('int_survival_contacts') }}
    where STATUS = 'ALIVE'

    union all
    select USUBJID, SCAN_DT, 'IMAGING', 'SCAN_DAT', cast(null as integer),
           cast(null as varchar), cast(null as integer)
    from {{ ref('int_tumour_scans') }}
)

select *
from alive_dates
where ALIVE_DT is not null
order by USUBJID, ALIVE_DT, SRCDOM, SRCVAR, SRCSEQ
