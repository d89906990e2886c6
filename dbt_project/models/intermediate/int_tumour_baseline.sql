{#-
    Baseline tumour status: one row per enrolled patient (SPEC section 5 "Baseline",
    "Populations"). BASEDT is null when no scan qualifies as baseline: no measurable disease and
    no tumour response. MDISFL (measurable disease) needs at least one baseline target with a
    measured viable diameter above 0.
-#}

with baseline_summary as (
    select
        USUBJID,
        max(BASEDT) as BASEDT,
        count(*) filter (where LESION_CLASS = 'TARGET') as BASE_TARGETS,
        count(*) filter (where LESION_CLASS = 'TARGET' and IS_MEASURED and VIABLE_DIAM_MM > 0) as BASE_MEASURABLE_TARGETS,
        -- Summed in exact decimals (diameters have at most 2 decimals), then as a number.
        cast(sum(cast(VIABLE_DIAM_MM as decimal(10, 2))) filter (where LESION_CLASS = 'TARGET' and IS_MEASURED) as double) as BASE_SUM,
        count(*) filter (where LESION_CLASS = 'NON-TARGET') as BASE_NONTARGETS
    from {{ ref('int_tumour_baseline_lesions') }}
    group by USUBJID
)

select
    patients.USUBJID,
    patients.SUBJID,
    patients.STARTDT,
    baseline_summary.BASEDT,
    case when baseline_summary.BASE_MEASURABLE_TARGETS > 0 then 'Y' else 'N' end as MDISFL,
    coalesce(baseline_summary.BASE_TARGETS, 0) as BASE_TARGETS,
    baseline_summary.BASE_SUM,
    coalesce(baseline_summary.BASE_NONTARGETS, 0) as BASE_NONTARGETS
from {{ ref('int_treatment_start') }} as patients
left join baseline_summary using (USUBJID)
order by patients.USUBJID
