package demo

import (
	"fmt"
	"strings"

	"github.com/keyproject/kpp/schema"
)

// area is a city or county of the seed's regions: the prefix of its
// departments' ids and the name they carry.
type area struct {
	region string // as in the seed, e.g. 丽水市庆元县
	prefix string // department id prefix, e.g. qy
	name   string // government name, e.g. 庆元县
	city   bool   // a city-level government (委员会 instead of 局 for some)
}

// areas are the regions that occur in seed-projects.json.
var areas = []area{
	{"丽水市庆元县", "qy", "庆元县", false},
	{"丽水市", "ls", "丽水市", true},
	{"金华市永康市", "yk", "永康市", false},
	{"丽水市缙云县", "jy", "缙云县", false},
	{"丽水市景宁县", "jn", "景宁畲族自治县", false},
	{"丽水市松阳县", "sy", "松阳县", false},
	{"丽水市青田县", "qt", "青田县", false},
	{"丽水市遂昌县", "sc", "遂昌县", false},
}

func areaOf(region string) (area, error) {
	for _, a := range areas {
		if a.region == region {
			return a, nil
		}
	}
	known := make([]string, len(areas))
	for i, a := range areas {
		known[i] = a.region
	}
	return area{}, fmt.Errorf("%w: region %q has no departments in the demo; expected one of %s", ErrSeed, region, strings.Join(known, ", "))
}

// department is a responsible department: id and name.
type department struct{ id, name string }

// departmentFor chooses the plausible responsible department of a project:
// by category, with energy split between the energy bureau (power plants)
// and the grid company (substations and lines), and public facilities
// between education, health and construction.
func departmentFor(s *seedProject, cat schema.Category) (department, error) {
	a, err := areaOf(s.Region)
	if err != nil {
		return department{}, err
	}
	name := s.NameZh
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(name, w) {
				return true
			}
		}
		return false
	}
	var code, title string
	switch cat {
	case schema.CategoryTransport:
		code, title = "jtj", "交通运输局"
	case schema.CategoryWater:
		code, title = "slj", "水利局"
	case schema.CategoryEnergy:
		if has("变", "输电", "千伏") {
			return department{a.prefix + "-gdgs", "国网" + a.name + "供电公司"}, nil
		}
		code, title = "nyj", "能源局"
	case schema.CategoryIndustry:
		if has("小镇") {
			code, title = "fgj", "发展和改革局"
		} else {
			code, title = "jxj", "经济和信息化局"
		}
	case schema.CategoryPublic:
		switch {
		case has("医院"):
			code, title = "wjj", "卫生健康局"
		case has("幼儿园", "中学", "学校"):
			code, title = "jyj", "教育局"
		case has("科创"):
			code, title = "fgj", "发展和改革局"
		default:
			code, title = "zjj", "住房和城乡建设局"
		}
	case schema.CategoryUrban, schema.CategoryEnvironment:
		code, title = "zjj", "住房和城乡建设局"
	default:
		return department{}, fmt.Errorf("%w: project %s: category %q has no department in the demo", ErrSeed, s.ID, cat)
	}
	if a.city {
		switch code {
		case "fgj":
			code, title = "fgw", "发展和改革委员会"
		case "wjj":
			code, title = "wjw", "卫生健康委员会"
		}
	}
	return department{a.prefix + "-" + code, a.name + title}, nil
}
