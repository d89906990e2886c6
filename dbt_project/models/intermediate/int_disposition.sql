-- Disposition events: end of treatment and end of study, with reason and date. One of each per
-- patient: the EDC form has one by its key; SDTM can send several disposition events, of which
-- the latest counts (data query END_OF_STUDY_DUPLICATE names the others).
select
    USUBJID,
    SUBJID,
    DSCAT,
    DSDECOD,
    DSSTDT,
    source_file,
    source_line
from {{ ref('int_disposition_records') }}
where DSCAT in ('END OF TREATMENT', 'END OF STUDY')
qualify row_number() over (partition by USUBJID, DSCAT order by DSSTDT desc, DSSEQ desc) = 1
order by USUBJID, DSCAT
