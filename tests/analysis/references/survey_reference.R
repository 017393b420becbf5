# Reference values for the scoring engine from R's `survey` package.
#
#   Rscript tests/analysis/references/survey_reference.R [DIR]
#
# Reads the synthetic data written by make_reference_data.py from DIR
# (default: this script's folder) and writes survey_reference.csv there:
# one row per estimate with its standard error, at full precision
# (format(x, digits = 17)), and the R call that produced it.
#
# It scores the data independently of the Python engine: the respondent
# dimension scores d_rk are computed here from the answer key
# (reference_key.csv), then every estimate comes from `survey` with
# respondents as PSUs and strata = (unit, group):
#
#   svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N)
#
# - dimension scores D_k: svyby(~d_k, ~stratum, <domain>, svymean, na.rm = TRUE);
# - group index G = sum_k a_k D_k: svyratio(~num_k..., ~den_k..., covmat = TRUE)
#   on the stratum, then svycontrast with the a_k;
# - unit raw index I = sum_g b_g G_g and unit dimension scores
#   DU_k = sum_g W_g D_gk / sum W: one svyratio over all (group, dimension)
#   pairs of the unit, then svycontrast.
#
# Four variants: respondent weights v or all weights 1, crossed with
# population sizes N (strata without one get N = Inf, i.e. f = 1) or no fpc.

suppressPackageStartupMessages(library(survey))

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else "."
}
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args)) args[1] else script_dir()

responses <- read.csv(file.path(here, "reference_responses.csv"), colClasses = "character",
                      na.strings = character(0))
key <- read.csv(file.path(here, "reference_key.csv"), na.strings = "NA",
                colClasses = c("character", "character", "character", "numeric",
                               "character", "numeric"))
model <- read.csv(file.path(here, "reference_groups.csv"), stringsAsFactors = FALSE)
populations <- read.csv(file.path(here, "reference_populations.csv"),
                        colClasses = c("character", "character", "numeric"))

dimensions <- unique(key$dimension)
groups <- unique(model$group)
units <- sort(unique(responses$unit))

# respondent dimension scores: d_rk = sum w_i s_ri / sum w_i over scored answers
data <- data.frame(unit = responses$unit, group = responses$group,
                   stratum = paste(responses$unit, responses$group, sep = "|"),
                   v = as.numeric(responses$weight), stringsAsFactors = FALSE)
for (k in dimensions) {
  numerator <- rep(0, nrow(responses))
  denominator <- rep(0, nrow(responses))
  for (q in unique(key$question[key$dimension == k])) {
    options <- key[key$question == q, ]
    score <- options$score[match(responses[[q]], options$code)]  # NA: blank or don't know
    answered <- !is.na(score)
    numerator[answered] <- numerator[answered] + options$qweight[1] * score[answered]
    denominator[answered] <- denominator[answered] + options$qweight[1]
  }
  data[[paste0("d_", k)]] <- ifelse(denominator > 0, numerator / denominator, NA)
}

# ratio variables: per dimension, and per (group, dimension) for the unit level
for (k in dimensions) {
  d <- data[[paste0("d_", k)]]
  data[[paste0("num_", k)]] <- ifelse(is.na(d), 0, d)
  data[[paste0("den_", k)]] <- as.numeric(!is.na(d))
  for (g in groups) {
    inside <- data$group == g & !is.na(d)
    data[[paste0("num_", g, "_", k)]] <- ifelse(inside, d, 0)
    data[[paste0("den_", g, "_", k)]] <- as.numeric(inside)
  }
}
data$N <- Inf
for (i in seq_len(nrow(populations))) {
  data$N[data$unit == populations$unit[i] & data$group == populations$group[i]] <-
    populations$population[i]
}

full <- function(x) format(x, digits = 17)
rows <- list()
emit <- function(weights, fpc, quantity, unit, group, dimension, estimate, se, call) {
  rows[[length(rows) + 1]] <<- data.frame(
    weights = weights, fpc = fpc, quantity = quantity, unit = unit, group = group,
    dimension = dimension, estimate = full(unname(estimate)), se = full(unname(se)),
    call = call, stringsAsFactors = FALSE)
}
ratio_formula <- function(prefix, names) {
  as.formula(paste("~", paste0(prefix, names, collapse = " + ")))
}

for (weights in c("respondent", "equal")) {
  data$w <- if (weights == "respondent") data$v else 1
  for (fpc in c("population", "none")) {
    des <- if (fpc == "population") {
      svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N, data = data)
    } else {
      svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = data)
    }
    design_call <- if (fpc == "population") {
      "des <- svydesign(ids=~1, strata=~stratum, weights=~w, fpc=~N, data=data)"
    } else {
      "des <- svydesign(ids=~1, strata=~stratum, weights=~w, data=data)"
    }

    # dimension scores per stratum, as domain means
    for (k in dimensions) {
      owners <- unique(model$group[model$dimension == k])
      domain <- subset(des, group %in% owners)
      by <- svyby(as.formula(paste0("~d_", k)), ~stratum, domain, svymean, na.rm = TRUE)
      call <- sprintf("%s; svyby(~d_%s, ~stratum, subset(des, group %%in%% c(%s)), svymean, na.rm=TRUE)",
                      design_call, k, paste0('"', owners, '"', collapse = ","))
      estimates <- coef(by)
      errors <- SE(by)  # in the same order as coef(by); unnamed
      for (i in seq_along(estimates)) {
        parts <- strsplit(names(estimates)[i], "|", fixed = TRUE)[[1]]
        emit(weights, fpc, "dimension", parts[1], parts[2], k, estimates[i], errors[i], call)
      }
    }

    # group index per stratum
    for (s in sort(unique(data$stratum))) {
      parts <- strsplit(s, "|", fixed = TRUE)[[1]]
      g <- parts[2]
      mine <- model[model$group == g, ]
      a <- mine$omega / sum(mine$omega)
      ratio <- svyratio(ratio_formula("num_", mine$dimension),
                        ratio_formula("den_", mine$dimension),
                        subset(des, stratum == s), covmat = TRUE)
      contrast <- svycontrast(ratio, setNames(a, paste0("num_", mine$dimension,
                                                        "/den_", mine$dimension)))
      call <- sprintf("%s; svycontrast(svyratio(~%s, ~%s, subset(des, stratum == \"%s\"), covmat=TRUE), a_k = %s)",
                      design_call, paste0("num_", mine$dimension, collapse = "+"),
                      paste0("den_", mine$dimension, collapse = "+"), s,
                      paste(full(a), collapse = ", "))
      emit(weights, fpc, "group_index", parts[1], g, "", coef(contrast), SE(contrast), call)
    }

    # unit raw index and unit dimension scores over the eligible groups
    for (u in units) {
      n <- table(factor(data$group[data$unit == u], levels = groups))
      eligible <- groups[sapply(groups, function(g) n[[g]] >= model$min_n[model$group == g][1])]
      pairs <- model[model$group %in% eligible, ]
      labels <- paste0(pairs$group, "_", pairs$dimension)
      ratio <- svyratio(ratio_formula("num_", labels), ratio_formula("den_", labels),
                        subset(des, unit == u), covmat = TRUE)
      names_of <- paste0("num_", labels, "/den_", labels)
      group_weight <- sapply(eligible, function(g) model$weight[model$group == g][1])
      b <- group_weight / sum(group_weight)
      coefficients <- numeric(nrow(pairs))
      for (g in eligible) {
        inside <- pairs$group == g
        coefficients[inside] <- b[[g]] * pairs$omega[inside] / sum(pairs$omega[inside])
      }
      contrast <- svycontrast(ratio, setNames(coefficients, names_of))
      call <- sprintf("%s; svycontrast(svyratio(~num_<g>_<k>..., ~den_<g>_<k>..., subset(des, unit == \"%s\"), covmat=TRUE), b_g*a_gk over eligible groups %s)",
                      design_call, u, paste(eligible, collapse = ","))
      emit(weights, fpc, "unit_index", u, "", "", coef(contrast), SE(contrast), call)

      for (k in dimensions) {
        inside <- pairs$dimension == k
        if (!any(inside)) next
        w <- sapply(pairs$group[inside], function(g) model$weight[model$group == g][1])
        contrast <- svycontrast(ratio, setNames(w / sum(w), names_of[inside]))
        call <- sprintf("%s; svycontrast(svyratio(<as unit_index>, subset(des, unit == \"%s\")), W_g/sum(W) on num_<g>_%s/den_<g>_%s)",
                        design_call, u, k, k)
        emit(weights, fpc, "unit_dimension", u, "", k, coef(contrast), SE(contrast), call)
      }
    }
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "survey_reference.csv"), row.names = FALSE)
cat(sprintf("wrote %d reference values with survey %s, %s\n", nrow(out),
            as.character(packageVersion("survey")), R.version.string))
